"""``evalkit.genai.judges``: LLM judges, as ``mlflow.genai.judges``.

:func:`make_judge`, the judge functions (:func:`is_correct`, :func:`is_grounded`,
:func:`is_safe`, :func:`is_context_relevant`, :func:`is_context_sufficient`,
:func:`meets_guidelines`, :func:`custom_prompt_judge`), :class:`Judge` and
:class:`CategoricalRating`.
"""

from evalkit.judges import (
    Judge,
    custom_prompt_judge,
    get_default_model,
    is_context_relevant,
    is_context_sufficient,
    is_correct,
    is_grounded,
    is_safe,
    make_judge,
    meets_guidelines,
    set_default_model,
)
from evalkit.judges.ratings import CategoricalRating

__all__ = [
    "CategoricalRating",
    "Judge",
    "custom_prompt_judge",
    "get_default_model",
    "is_context_relevant",
    "is_context_sufficient",
    "is_correct",
    "is_grounded",
    "is_safe",
    "make_judge",
    "meets_guidelines",
    "set_default_model",
]
