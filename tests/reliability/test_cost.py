"""Cost: the estimate before a run, usage after it, and the max_cost budget."""

from __future__ import annotations

from typing import Any

import pytest
from _reliability_judges import mini_judge, rows, verdict

import evalkit
from evalkit.judges.client import _litellm
from evalkit.llm.usage import ESTIMATED_OUTPUT_TOKENS
from evalkit.testing import JudgeServer

# gpt-4.1-mini in litellm's bundled price list: $0.40 / M input, $1.60 / M output tokens
INPUT_PRICE, OUTPUT_PRICE = 0.4e-6, 1.6e-6


def _judges() -> list[Any]:
    return [mini_judge("right"), mini_judge("polite", "Polite? Q: {q} A: {a}")]


def _prompt_tokens(n: int) -> int:
    counter = _litellm().token_counter
    total = 0
    for i in range(n):
        for prompt in (
            f"[right] Is this answer right? Q: q{i} A: answer {i}",
            f"[polite] Polite? Q: q{i} A: answer {i}",
        ):
            total += counter(model="gpt-4.1-mini", messages=[{"role": "user", "content": prompt}])
    return int(total)


def test_estimate_counts_prompt_tokens_and_price_without_calling(
    judge_server: JudgeServer,
) -> None:
    found = evalkit.estimate(rows(10), _judges())
    assert judge_server.request_count == 0
    assert found["judge_calls"] == 20 and found["cached_calls"] == 0
    assert found["input_tokens"] == _prompt_tokens(10)
    assert found["output_tokens"] == 20 * ESTIMATED_OUTPUT_TOKENS
    expected = found["input_tokens"] * INPUT_PRICE + found["output_tokens"] * OUTPUT_PRICE
    assert found["cost"] == pytest.approx(expected)
    assert found["estimate"] is True and found["unpriced_calls"] == 0
    assert evalkit.search_runs(output_format="list", search_all_experiments=True) == []


def test_dry_run_returns_the_estimate_and_does_not_call_the_app(judge_server: JudgeServer) -> None:
    called: list[str] = []

    def app(question: str) -> str:
        called.append(question)
        return "x"

    data = [{"inputs": {"question": f"q{i}"}} for i in range(3)]
    result = evalkit.evaluate(data, scorers=_judges(), predict_fn=app, dry_run=True)
    assert called == [] and judge_server.request_count == 0
    assert result.metrics == {} and result.run_id is None
    assert result.usage["judge_calls"] == 6 and result.usage["estimate"] is True


def test_estimate_knows_what_the_cache_already_answers(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, verdict)
    evalkit.evaluate(rows(4), scorers=[mini_judge("right")], progress=False)
    found = evalkit.estimate(rows(4), _judges())
    assert found["judge_calls"] == 8 and found["cached_calls"] == 4
    assert found["output_tokens"] == 4 * ESTIMATED_OUTPUT_TOKENS


def test_usage_after_a_run_is_the_priced_token_sum(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, verdict)
    result = evalkit.evaluate(rows(5), scorers=_judges(), progress=False)
    usage = result.usage
    assert usage["judge_calls"] == 10 and usage["input_tokens"] > 0 < usage["output_tokens"]
    expected = usage["input_tokens"] * INPUT_PRICE + usage["output_tokens"] * OUTPUT_PRICE
    assert usage["cost"] == pytest.approx(expected)
    logged = evalkit.get_run(result.run_id).data.metrics
    assert {k: v for k, v in logged.items() if k.startswith("usage/")} == {
        "usage/judge_calls": 10,
        "usage/cached_calls": 0,
        "usage/input_tokens": usage["input_tokens"],
        "usage/output_tokens": usage["output_tokens"],
        "usage/cost": pytest.approx(usage["cost"]),
    }


def test_a_resumed_run_adds_its_usage_to_the_runs(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, verdict)
    judge_server.inject("bad_request", match=r"q3\b")  # row 3 fails for both judges
    first = evalkit.evaluate(rows(5), scorers=_judges(), progress=False, cache="off")
    spent = evalkit.get_run(first.run_id).data.metrics["usage/cost"]
    assert first.usage["judge_calls"] == 10 and spent == pytest.approx(first.usage["cost"])
    judge_server.reset()
    judge_server.add_rule(None, verdict)
    again = evalkit.evaluate(
        rows(5), scorers=_judges(), resume=first.run_id, retry_errors=True, progress=False
    )
    assert again.usage["judge_calls"] == 2  # this call's own usage
    logged = evalkit.get_run(first.run_id).data.metrics
    assert logged["usage/judge_calls"] == 12
    assert logged["usage/cost"] == pytest.approx(spent + again.usage["cost"])


def test_heuristic_runs_log_no_usage() -> None:
    result = evalkit.evaluate(rows(3), scorers=["token_count"], progress=False)
    assert not any(k.startswith("usage/") for k in evalkit.get_run(result.run_id).data.metrics)


def test_max_cost_stops_new_calls_and_says_what_is_left(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, verdict)
    one = evalkit.evaluate(rows(1), scorers=[mini_judge("right")], progress=False, cache="off")
    per_call = one.usage["cost"]
    assert per_call > 0
    judge_server.reset()
    judge_server.add_rule(None, verdict)
    capped = evalkit.evaluate(
        rows(20),
        scorers=[mini_judge("right")],
        max_workers=1,
        max_cost=5.5 * per_call,
        progress=False,
        cache="off",
    )
    assert judge_server.request_count == 6
    assert capped.usage["budget_refused"] == 14
    codes = capped.result_df["right/error_code"].tolist()
    assert codes[:6] == [None] * 6 and codes[6:] == ["BUDGET_EXCEEDED"] * 14
    assert "max_cost" in capped.result_df["right/error_message"][6]
    assert capped.metrics["right/error_count"] == 14

    rest = evalkit.evaluate(
        rows(20),
        scorers=[mini_judge("right")],
        resume=capped.run_id,
        retry_errors=True,
        progress=False,
        cache="off",
    )
    assert judge_server.request_count == 20
    assert rest.metrics["right/error_count"] == 0 and rest.metrics["right/mean"] == 0.5
