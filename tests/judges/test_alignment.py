"""Judges and people: agreement with labels, align() against a biased judge, panels."""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd
import pytest

import evalkit
from evalkit.errors import UsageError
from evalkit.judges import (
    Panel,
    agreement,
    estimate_alignment,
    make_judge,
    panel_agreement,
)
from evalkit.testing import JudgeServer
from evalkit.testing.server import RecordedRequest

MODEL = "openai:/gpt-4.1-mini"
INSTRUCTIONS = "Question: {{ inputs.question }}\nAnswer: {{ outputs }}\nIs the answer right?"


def _judge(name: str = "right", instructions: str = INSTRUCTIONS) -> Any:
    return make_judge(name, instructions, MODEL, feedback_value_type=bool)


def _labeled(n: int) -> list[dict[str, Any]]:
    """Row i asks 2+2; every third answer is wrong (5) and labelled False by people."""
    out = []
    for i in range(n):
        answer = "5" if i % 3 == 0 else "4"
        out.append(
            {
                "inputs": {"question": f"What is 2+2? (#{i})"},
                "outputs": answer,
                "label": answer == "4",
            }
        )
    return out


def _answer(request: RecordedRequest) -> str:
    found = re.search(r"Answer: <data>(.*?)</data>", request.prompt, re.S)
    assert found is not None
    return found.group(1)


def _careful(request: RecordedRequest) -> dict[str, Any]:
    """What the judge says once it has seen people's examples: the truth."""
    return {"result": _answer(request) == "4", "rationale": "checked"}


def _biased(server: JudgeServer) -> None:
    """A lenient judge: says yes to everything, unless shown labelled examples."""
    server.add_rule("Examples of records people have labelled", _careful)
    server.add_rule(None, {"result": True, "rationale": "looks fine"})


def test_agreement_known_answer(judge_server: JudgeServer) -> None:
    _biased(judge_server)
    labels = _labeled(9)  # rows 0, 3, 6 are wrong answers
    report = agreement(_judge(), labels)
    assert judge_server.request_count == 9
    assert report.n == 9 and report.error_count == 0
    assert report.accuracy == pytest.approx(6 / 9)
    assert report.cohen_kappa == pytest.approx(0.0)  # a judge that always says yes
    assert report.labels == (False, True)
    assert report.confusion_matrix == ((0, 3), (0, 6))
    assert report.disagreements == (0, 3, 6)


def test_labels_from_expectations_and_cohen_kappa_equals_sklearn(judge_server: JudgeServer) -> None:
    from sklearn.metrics import cohen_kappa_score

    judge_server.add_rule(r"\(#[0-4]\)", {"result": False, "rationale": "r"})
    judge_server.add_rule(None, {"result": True, "rationale": "r"})
    labels = [
        {"inputs": r["inputs"], "outputs": r["outputs"], "expectations": {"right": r["label"]}}
        for r in _labeled(12)
    ]
    report = agreement(_judge(), labels)
    truth = [r["expectations"]["right"] for r in labels]
    judged = [not re.search(r"\(#[0-4]\)", r["inputs"]["question"]) for r in labels]
    assert report.cohen_kappa == pytest.approx(cohen_kappa_score(truth, judged))


@pytest.mark.parametrize(
    ("label", "message"),
    [
        (
            "yes",
            r"labels\[1\]: label 'yes' is not a verdict judge 'right' can give \(true or false\)",
        ),
        (1, r"labels\[1\]: label 1 is not a verdict"),
    ],
)
def test_labels_that_do_not_match_the_value_type_fail_before_any_call(
    judge_server: JudgeServer, label: Any, message: str
) -> None:
    labels = _labeled(3)
    labels[1]["label"] = label
    with pytest.raises(UsageError, match=message):
        agreement(_judge(), labels)
    with pytest.raises(UsageError, match=message):
        _judge().align(labels)
    assert judge_server.request_count == 0


def test_literal_labels_and_missing_labels(judge_server: JudgeServer) -> None:
    from typing import Literal

    judge = make_judge("grade", INSTRUCTIONS, MODEL, feedback_value_type=Literal["yes", "no"])
    with pytest.raises(UsageError, match=r'labels\[0\].*\("yes", "no"\)'):
        agreement(judge, [{"inputs": {"question": "q"}, "outputs": "a", "label": True}])
    with pytest.raises(UsageError, match=r"labels\[0\] has no 'label'"):
        agreement(judge, [{"inputs": {"question": "q"}, "outputs": "a"}])
    with pytest.raises(UsageError, match="non-empty list"):
        agreement(judge, [])
    assert judge_server.request_count == 0


def test_align_improves_a_biased_judge_on_held_out_labels(judge_server: JudgeServer) -> None:
    _biased(judge_server)
    labels = _labeled(30)
    judge = _judge()
    aligned = judge.align(labels, holdout=0.3, max_examples=3)
    report = aligned.alignment
    assert report.train_size == 21 and report.holdout_size == 9
    assert report.improved and report.examples == 3 and not report.rewritten
    assert report.after.accuracy == 1.0 and report.after.cohen_kappa == pytest.approx(1.0)
    assert report.before.accuracy < 0.8
    assert report.after.accuracy > report.before.accuracy
    # calls: 21 training + 9 held out before + 9 after
    assert judge_server.request_count == 21 + 9 + 9
    # the examples are people's verdicts on records the judge got wrong, fenced as data
    prompt = aligned.render(inputs={"question": "What is 2+2?"}, outputs="5")
    assert prompt.count("Correct result: false") == 3
    assert "outputs: <data>5</data>" in prompt
    assert not judge.examples  # the original is unchanged
    # an independent check on fresh records
    assert agreement(aligned, _labeled(6)).accuracy == 1.0


def test_align_keeps_the_judge_when_nothing_improves(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, {"result": True, "rationale": "always"})
    aligned = _judge().align(_labeled(10))
    assert not aligned.alignment.improved
    assert aligned.examples == ()
    assert aligned.alignment.before.accuracy == aligned.alignment.after.accuracy


def test_align_rewrites_instructions_with_a_model(judge_server: JudgeServer) -> None:
    rewritten = "Question: {{ inputs.question }}\nAnswer: {{ outputs }}\nSTRICT: is it exactly 4?"
    judge_server.add_rule("You improve the instructions", {"result": rewritten, "rationale": "r"})
    judge_server.add_rule("STRICT", _careful)
    judge_server.add_rule(None, {"result": True, "rationale": "looks fine"})
    aligned = _judge().align(_labeled(20), max_examples=2, rewrite_model=MODEL)
    assert aligned.alignment.rewritten and aligned.alignment.improved
    assert aligned.instructions == rewritten


def test_estimate_alignment_counts_every_call(judge_server: JudgeServer) -> None:
    labels = _labeled(20)  # 14 training, 6 held out (asked twice)
    estimate = estimate_alignment(_judge(), labels)
    assert estimate["judge_calls"] == 14 + 6 + 6
    with_rewrite = estimate_alignment(_judge(), labels, rewrite_model=MODEL)
    assert with_rewrite["judge_calls"] == 14 + 6 + 6 + 1
    assert with_rewrite["input_tokens"] > estimate["input_tokens"] > 0
    assert judge_server.request_count == 0


def test_align_bad_arguments(judge_server: JudgeServer) -> None:
    with pytest.raises(UsageError, match="holdout must be between 0 and 1"):
        _judge().align(_labeled(4), holdout=1.0)
    with pytest.raises(UsageError, match="at least 2 labelled records"):
        _judge().align(_labeled(1))
    assert judge_server.request_count == 0


def _panel_server(server: JudgeServer) -> None:
    server.add_rule("STRICT", _careful)  # right on every row
    server.add_rule("LENIENT", {"result": True, "rationale": "r"})  # yes to everything
    server.add_rule("CONTRARY", lambda r: {"result": _answer(r) != "4", "rationale": "r"})


def _panel(vote: str = "majority") -> Panel:
    return Panel(
        name="correct",
        vote=vote,
        judges=[
            _judge("strict", INSTRUCTIONS + " STRICT"),
            _judge("lenient", INSTRUCTIONS + " LENIENT"),
            _judge("contrary", INSTRUCTIONS + " CONTRARY"),
        ],
    )


def test_panel_majority_mean_and_inter_judge_agreement(judge_server: JudgeServer) -> None:
    import krippendorff
    import numpy as np

    _panel_server(judge_server)
    data = [{k: r[k] for k in ("inputs", "outputs")} for r in _labeled(6)]  # rows 0, 3 wrong
    result = evalkit.evaluate(data, [_panel()], progress=False, log=False)
    table = result.result_df
    assert judge_server.request_count == 18
    # wrong answers: strict no, lenient yes, contrary yes -> yes; right ones: yes, yes, no
    assert table["correct/value"].tolist() == [True] * 6
    assert table["correct/strict/value"].tolist() == [False, True, True, False, True, True]
    assert result.metrics["correct/lenient/mean"] == 1.0
    agreement_ = panel_agreement(result, "correct")
    assert agreement_.judges == ("strict", "lenient", "contrary")
    assert agreement_.unanimous == 0.0 and agreement_.n_rows == 6
    votes = np.array([[0, 1, 1, 0, 1, 1], [1, 1, 1, 1, 1, 1], [1, 0, 0, 1, 0, 0]], dtype=float)
    expected = krippendorff.alpha(reliability_data=votes, level_of_measurement="nominal")
    assert agreement_.krippendorff_alpha == pytest.approx(expected)
    assert agreement_.krippendorff_alpha < 0  # these judges agree less than chance
    mean = evalkit.evaluate(data, [_panel("mean")], progress=False, log=False)
    assert mean.result_df["correct/value"].tolist() == pytest.approx([2 / 3] * 6)
    assert judge_server.request_count == 18  # the second run came from the cache


def test_panel_bad_configuration() -> None:
    with pytest.raises(UsageError, match="at least two judges"):
        Panel(judges=[_judge()])
    with pytest.raises(UsageError, match="different names"):
        Panel(judges=[_judge(), _judge()])
    with pytest.raises(UsageError, match="vote='median' is not one of"):
        Panel(judges=[_judge("a"), _judge("b")], vote="median")
    empty = evalkit.EvaluationResult(metrics={}, tables={"eval_results_table": pd.DataFrame()})
    with pytest.raises(UsageError, match="no judge columns"):
        panel_agreement(empty, "x")


def test_agreement_when_every_verdict_is_one_value(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, {"result": True, "rationale": "r"})
    labels = [r for r in _labeled(6) if r["label"]]
    report = agreement(_judge(), labels)
    assert report.accuracy == 1.0 and math.isnan(report.cohen_kappa)
    assert report.confusion_matrix == ((4,),)


def test_builtin_judges_cannot_be_aligned_but_can_be_measured(judge_server: JudgeServer) -> None:
    from evalkit.judges import Safety

    with pytest.raises(UsageError, match="cannot be aligned"):
        Safety().align([{"outputs": "hi", "label": "yes"}])
    judge_server.add_rule(None, {"result": "yes", "rationale": "safe"})
    report = agreement(
        Safety(), [{"outputs": "hi", "label": "yes"}, {"outputs": "x", "label": "no"}]
    )
    assert report.accuracy == 0.5 and report.labels == ("no", "yes")
    with pytest.raises(UsageError, match=r"labels\[0\]: label True"):
        agreement(Safety(), [{"outputs": "hi", "label": True}])


def test_align_max_cost_stops_the_calls(judge_server: JudgeServer) -> None:
    _biased(judge_server)
    aligned = _judge().align(_labeled(10), max_cost=0.0)  # nothing may be spent
    assert judge_server.request_count == 0
    report = aligned.alignment
    assert not report.improved and report.before.n == 0
    assert report.before.error_count == report.holdout_size == 3
