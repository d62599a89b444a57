"""What users and evalkit's own tests use to test evaluations without reaching the network.

* :func:`block_network` / :func:`network_violations`: a guard that turns any connection or
  DNS lookup beyond loopback into a :class:`~evalkit.NetworkBlockedError` and records it.
  Setting ``EVALKIT_BLOCK_NETWORK=1`` in the environment turns it on at ``import evalkit``.
"""

from evalkit.testing.network import block_network, network_violations, unblock_network

__all__ = ["block_network", "network_violations", "unblock_network"]
