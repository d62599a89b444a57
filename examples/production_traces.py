"""Production traces: log a traced app's calls, search them, attach human feedback, score them.

Run: .venv/bin/python examples/production_traces.py
The traces go to ./evalkit-runs/ (experiment "support-bot"); nothing leaves the machine.
"""

from __future__ import annotations

import evalkit
from evalkit import AssessmentSource
from evalkit.entities import Trace

DOCS = {
    "password": "Reset your password from the login page: 'Forgot password'.",
    "refund": "Refunds are paid within 5 working days.",
}


@evalkit.trace(span_type="RETRIEVER")
def retrieve(question: str) -> list[dict[str, str]]:
    return [{"page_content": text} for key, text in DOCS.items() if key in question.lower()]


@evalkit.trace(span_type="AGENT")
def support_bot(question: str) -> str:
    docs = retrieve(question)
    with evalkit.start_span("generate", span_type="LLM", inputs={"docs": docs}) as span:
        span.set_attribute("model", "rule-based")
        span.outputs = answer = docs[0]["page_content"] if docs else "I don't know."
    return answer


def main() -> None:
    evalkit.set_experiment("support-bot")
    evalkit.tracing.enable()  # in a server: EVALKIT_TRACING=1
    for question in ("How do I reset my password?", "When is my refund paid?", "Hello?"):
        support_bot(question)
    evalkit.tracing.flush()  # a script waits for the export thread; a server never needs to
    print("export:", evalkit.tracing.export_stats())

    traces = evalkit.search_traces(
        filter_string="trace.name = 'support_bot' AND attributes.status = 'OK'", max_results=3
    )
    print(traces[["trace_id", "state", "execution_duration", "request", "response"]])

    unanswered = traces[traces.response == "I don't know."].trace_id.iloc[0]
    evalkit.log_feedback(
        unanswered,
        name="helpful",
        value=False,
        rationale="no answer",
        source=AssessmentSource(source_type="HUMAN", source_id="support-lead"),
    )
    evalkit.log_expectation(unanswered, name="expected_response", value="Say hello back.")
    evalkit.set_trace_tag(unanswered, "triage", "needs-doc")

    @evalkit.scorer
    def retrieved_something(trace: Trace) -> bool:
        return any(span.outputs for span in trace.search_spans(span_type="RETRIEVER"))

    data = [
        {"inputs": t.root.inputs, "outputs": t.root.outputs, "trace": t}
        for t in traces.trace
        if t.root is not None
    ]
    result = evalkit.evaluate(data=data, scorers=[retrieved_something])
    print("retrieved_something/mean:", result.metrics["retrieved_something/mean"])

    again = evalkit.get_trace(unanswered)
    assert again is not None
    for a in again.info.assessments:  # the human's feedback, the expectation, the score
        print(f"  {a.name}: {a.value!r} ({a.source.source_type if a.source else '-'})")


if __name__ == "__main__":
    main()
