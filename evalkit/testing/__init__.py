"""What users and evalkit's own tests use to test evaluations without reaching the network.

* :class:`JudgeServer`: a loopback OpenAI-compatible chat server to point judges at, with
  scripted answers, latency and fault injection, that records every request it receives.
  With pytest, the ``judge_server`` fixture (:mod:`evalkit.testing.pytest_plugin`) starts one
  and points ``OPENAI_BASE_URL`` at it.
* :func:`block_network` / :func:`network_violations`: a guard that turns any connection or
  DNS lookup beyond loopback into a :class:`~evalkit.NetworkBlockedError` and records it.
  Setting ``EVALKIT_BLOCK_NETWORK=1`` in the environment turns it on at ``import evalkit``.
"""

from evalkit.testing.network import block_network, network_violations, unblock_network
from evalkit.testing.server import FAULTS, Fault, JudgeServer, RecordedRequest, Rule

__all__ = [
    "FAULTS",
    "Fault",
    "JudgeServer",
    "RecordedRequest",
    "Rule",
    "block_network",
    "network_violations",
    "unblock_network",
]
