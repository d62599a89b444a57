"""Trustworthy judge numbers: repeats, pairwise comparison, judges aligned with people, panels.

Everything runs against evalkit.testing's loopback JudgeServer, scripted to behave like the
judges this is about -- a noisy judge, a judge with position bias, a lenient judge -- so the
example needs no key and no network:

    .venv/bin/python examples/repeats_pairwise_alignment.py
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import evalkit
from evalkit.judges import PairwisePreference, Panel, agreement, make_judge, panel_agreement
from evalkit.stats import preference
from evalkit.testing import JudgeServer
from evalkit.testing.server import RecordedRequest

MODEL = "openai:/gpt-4.1-mini"
RIGHT = "Question: {{ inputs.question }}\nAnswer: {{ outputs }}\nIs the answer right?"
QUESTIONS = [f"What is {i} + {i}?" for i in range(12)]


def answer(request: RecordedRequest) -> str:
    found = re.search(r"Answer: <data>(.*?)</data>", request.prompt, re.S)
    return found.group(1) if found else ""


def truth(request: RecordedRequest) -> bool:
    """Whether the (first) answer in the prompt is right: twice the number asked about."""
    numbers = re.findall(r"\d+", request.prompt.split("Answer:")[0])
    return bool(numbers) and answer(request) == str(2 * int(numbers[0]))


class NoisyJudge:
    """Right on most rows, but flips a coin on questions about 3 and 7."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> dict[str, Any]:
        key = request.prompt
        with self.lock:
            n = self.calls[key] = self.calls.get(key, 0) + 1
        noisy = "3 + 3" in key or "7 + 7" in key
        verdict = (n % 2 == 0) if noisy else truth(request)
        return {"result": verdict, "rationale": "checked"}


def shown_first_wins(request: RecordedRequest) -> dict[str, Any]:
    """A judge with position bias: it prefers response A unless B is plainly longer."""
    a = re.search(r"Response A:\s*<data>(.*?)</data>", request.prompt, re.S)
    b = re.search(r"Response B:\s*<data>(.*?)</data>", request.prompt, re.S)
    longer_b = a is not None and b is not None and len(b.group(1)) > len(a.group(1)) + 10
    return {"result": "B" if longer_b else "A", "rationale": "scripted"}


def main() -> None:
    data = [
        {"inputs": {"question": q}, "outputs": str(2 * i) if i % 4 else "I am not sure"}
        for i, q in enumerate(QUESTIONS)
    ]
    with JudgeServer() as server, server.env():
        # 1. Repeats: a noisy judge asked three times per row
        server.add_rule("Is the answer right", NoisyJudge())
        right = make_judge("right", RIGHT, MODEL, feedback_value_type=bool)
        print("estimate, 3 repeats:", evalkit.estimate(data, [right], repeats=3)["judge_calls"])
        result = evalkit.evaluate(data, [right], repeats=3, repeat="judges", progress=False)
        m = result.metrics
        print(
            f"right/mean {m['right/mean']:.3f}  pass@3 {m['right/pass@3']:.3f}  "
            f"pass^3 {m['right/pass^3']:.3f}  flaky rows {int(m['right/flaky_count'])}"
        )
        for flaky in result.flaky_rows.itertuples():
            print(f"  flaky: row {flaky.row} {flaky.metric} {flaky.values}")

        # 2. Pairwise: two versions of the app on the same questions, position bias cancelled
        server.reset()
        server.add_rule("two responses answer the same request", shown_first_wins)
        pairs = [
            {
                "inputs": {"question": q},
                "outputs": {
                    "a": str(2 * i),
                    # B explains itself on even rows; on odd rows it is as terse as A
                    "b": f"{2 * i}, because {i} doubled is {2 * i}." if i % 2 == 0 else f"{2 * i}.",
                },
            }
            for i, q in enumerate(QUESTIONS)
        ]
        compared = evalkit.evaluate(pairs, [PairwisePreference()], progress=False, log=False)
        verdicts = compared.result_df["pairwise_preference/value"].tolist()
        summary = preference(verdicts)
        print(
            f"pairwise: B wins {summary.wins}, ties {summary.ties}, A wins {summary.losses}; "
            f"win rate of B {summary.win_rate:.2f} "
            f"(95% CI {summary.ci_low:.2f} to {summary.ci_high:.2f}); "
            f"{compared.usage['judge_calls']} judge calls (each row asked twice, swapped)"
        )
        print(
            f"  the judge preferred whichever response was shown first on {summary.ties} rows; "
            "asking again with the positions swapped turned those into ties"
        )

        # 3. Aligning a lenient judge with people's labels
        server.reset()
        server.add_rule(
            "Examples of records people have labelled",
            lambda r: {"result": truth(r), "rationale": "compared with the examples"},
        )
        server.add_rule(None, {"result": True, "rationale": "looks fine to me"})
        lenient = make_judge("right", RIGHT, MODEL, feedback_value_type=bool)
        labeled = [
            {
                "inputs": {"question": f"What is {i % 12} + {i % 12}? (#{i})"},
                "outputs": str(2 * (i % 12)) if i % 4 else "I am not sure",
                "label": i % 4 != 0,  # people: only the real answers are right
            }
            for i in range(24)
        ]
        before = agreement(lenient, labeled)
        print(
            f"lenient judge vs people: accuracy {before.accuracy:.2f}, "
            f"kappa {before.cohen_kappa:.2f}"
        )
        aligned = lenient.align(labeled, holdout=0.3, max_examples=3)
        report = aligned.alignment
        print(
            f"align: held-out accuracy {report.before.accuracy:.2f} -> "
            f"{report.after.accuracy:.2f}, "
            f"kappa {report.before.cohen_kappa:.2f} -> {report.after.cohen_kappa:.2f}; "
            f"kept: {report.improved} ({report.examples} examples)"
        )

        # 4. A panel of three judges voting, with their inter-judge agreement
        server.reset()
        server.add_rule("STRICT", lambda r: {"result": truth(r), "rationale": "strict"})
        server.add_rule("LENIENT", {"result": True, "rationale": "lenient"})
        panel = Panel(
            name="correct",
            judges=[
                make_judge("strict", RIGHT + " STRICT", MODEL, feedback_value_type=bool),
                make_judge("lenient", RIGHT + " LENIENT", MODEL, feedback_value_type=bool),
                make_judge("strict2", RIGHT + " STRICT", MODEL, feedback_value_type=bool),
            ],
        )
        voted = evalkit.evaluate(data, [panel], progress=False, log=False)
        agree = panel_agreement(voted, panel)
        print(
            f"panel: correct/mean {voted.metrics['correct/mean']:.2f}; "
            f"Krippendorff's alpha {agree.krippendorff_alpha:.2f}, unanimous rows "
            f"{agree.unanimous:.0%}"
        )


if __name__ == "__main__":
    main()
