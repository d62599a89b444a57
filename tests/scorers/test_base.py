"""The scorer API: @scorer, Scorer subclasses, BatchScorer, argument declaration."""

from __future__ import annotations

from typing import Any

import pytest

from evalkit import BatchScorer, Feedback, Scorer, ScorerError, scorer


def test_bare_decorator_names_the_scorer_and_stays_callable() -> None:
    @scorer
    def exact_match(outputs: str, expectations: dict[str, str]) -> bool:
        """Docstring kept."""
        return outputs == expectations["expected_response"]

    assert isinstance(exact_match, Scorer)
    assert exact_match.name == "exact_match"
    assert exact_match.aggregations == ["mean"]
    assert exact_match.arguments == ("outputs", "expectations")
    assert exact_match.required_arguments == ("outputs", "expectations")
    assert exact_match.__doc__ == "Docstring kept."
    assert exact_match(outputs="a", expectations={"expected_response": "a"}) is True
    # run() drops the fields the scorer does not declare (here: inputs)
    assert exact_match.run(inputs={"q": 1}, outputs="a", expectations={"expected_response": "a"})
    assert not exact_match.run(outputs="a", expectations={"expected_response": "b"})


def test_decorator_with_name_and_aggregations() -> None:
    @scorer(name="length", aggregations=["mean", "p90"])
    def answer_length(outputs: str) -> int:
        return len(outputs.split())

    assert answer_length.name == "length"
    assert answer_length.aggregations == ["mean", "p90"]
    assert answer_length(outputs="a b c") == 3


def test_optional_arguments_are_passed_but_not_required() -> None:
    @scorer
    def uses_trace(outputs: str, trace: Any = None) -> bool:
        return trace is None

    assert uses_trace.arguments == ("outputs", "trace")
    assert uses_trace.required_arguments == ("outputs",)


def test_unknown_required_parameter_is_rejected_at_decoration() -> None:
    with pytest.raises(ScorerError, match="parameter 'answer' that evalkit cannot fill"):

        @scorer
        def bad(answer: str) -> bool:
            return True


def test_unknown_aggregation_is_rejected_at_decoration() -> None:
    with pytest.raises(ScorerError, match="unknown aggregation 'average'"):

        @scorer(aggregations=["average"])
        def s(outputs: str) -> int:
            return 1

    with pytest.raises(ScorerError, match="must be a list"):
        scorer(aggregations="mean")(lambda outputs: 1)  # type: ignore[arg-type]


class WithinWords(Scorer):
    max_words: int = 50

    def __call__(self, *, outputs: str) -> Feedback:
        n = len(outputs.split())
        return Feedback(value=n <= self.max_words, rationale=f"{n} words")


def test_scorer_subclass_configuration_is_keyword_only() -> None:
    s = WithinWords(max_words=2)
    assert s.name == "within_words"
    assert s.max_words == 2
    assert s.arguments == ("outputs",)
    assert s(outputs="one two three") == Feedback(value=False, rationale="3 words")
    assert s.config() == {"aggregations": ["mean"], "max_words": 2}
    named = WithinWords(name="short", aggregations=["min"])
    assert (named.name, named.max_words) == ("short", 50)
    with pytest.raises(TypeError):
        WithinWords(3)  # type: ignore[misc]


def test_scorer_subclass_with_class_level_name() -> None:
    class Custom(Scorer):
        name: str = "my_scorer"

        def __call__(self, *, inputs: dict[str, Any]) -> int:
            return len(inputs)

    assert Custom().name == "my_scorer"
    assert Custom().run(inputs={"a": 1, "b": 2}, outputs="ignored") == 2


def test_batch_scorer_called_on_one_record() -> None:
    class Lengths(BatchScorer):
        def score_batch(self, *, outputs: list[str]) -> list[int]:
            return [len(o) for o in outputs]

    s = Lengths()
    assert s.arguments == ("outputs",)
    assert s.score_batch(outputs=["ab", "abc"]) == [2, 3]
    assert s(outputs="abcd") == 4


def test_batch_scorer_may_declare_latency() -> None:
    class Slow(BatchScorer):
        def score_batch(self, *, latency: list[float]) -> list[bool]:
            return [x > 1 for x in latency]

    assert Slow().arguments == ("latency",)
