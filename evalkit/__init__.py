"""evalkit: evaluate LLM applications with heuristic metrics, LLM judges and your own scorers.

The public API. Heavy libraries (pandas, numpy, litellm, ...) load on first use, so
``import evalkit`` stays fast.

Example:
    >>> import evalkit
    >>> @evalkit.scorer
    ... def exact_match(outputs, expectations) -> bool:
    ...     return outputs == expectations["expected_response"]
    >>> record = {"inputs": {"q": "2+2?"}, "outputs": "4", "expectations": "4"}
    >>> result = evalkit.evaluate(data=[record], scorers=[exact_match])
    >>> result.metrics["exact_match/mean"]
    1.0
"""

from evalkit import metrics
from evalkit.datasets import EvaluationDataset
from evalkit.engine import evaluate
from evalkit.entities import (
    AssessmentError,
    AssessmentSource,
    AssessmentSourceType,
    EvaluationResult,
    Feedback,
    MetricValue,
)
from evalkit.errors import (
    DataError,
    EvalkitError,
    JudgeError,
    MissingDependencyError,
    NetworkBlockedError,
    ScorerError,
    TrackingError,
)
from evalkit.scorers.base import BatchScorer, Scorer, scorer

__version__ = "0.1.0"

if __import__("os").environ.get("EVALKIT_BLOCK_NETWORK", "") not in ("", "0"):
    from evalkit.testing.network import block_network as _block_network

    _block_network()

__all__ = [
    "AssessmentError",
    "AssessmentSource",
    "AssessmentSourceType",
    "BatchScorer",
    "DataError",
    "EvalkitError",
    "EvaluationDataset",
    "EvaluationResult",
    "Feedback",
    "JudgeError",
    "MetricValue",
    "MissingDependencyError",
    "NetworkBlockedError",
    "Scorer",
    "ScorerError",
    "TrackingError",
    "__version__",
    "evaluate",
    "metrics",
    "scorer",
]
