"""An app instrumented with OpenTelemetry (OpenInference attributes), evaluated with evalkit.

Run: .venv/bin/python examples/opentelemetry_app.py   (needs pip install 'evalkit[otel]')
The OTel spans go to ./evalkit-runs/ (experiment "otel-bot") through evalkit's
StoreSpanExporter; the script then scores the stored traces and writes them back out as
OTLP/JSON (otel-traces.json), which any OTLP tool reads. Nothing leaves the machine.
"""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

import evalkit
from evalkit.entities import Trace
from evalkit.tracking.otel import StoreSpanExporter, export_otlp_json, read_otlp_json

DOCS = {
    "password": "Reset your password from the login page: 'Forgot password'.",
    "refund": "Refunds are paid within 5 working days.",
}

evalkit.set_experiment("otel-bot")
exporter = StoreSpanExporter()
provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(exporter))
tracer = provider.get_tracer("support-bot")


def support_bot(question: str, session: str) -> str:
    """The app: plain OpenTelemetry, attributes named as OpenInference names them."""
    with tracer.start_as_current_span("support_bot") as root:
        root.set_attribute("openinference.span.kind", "AGENT")
        root.set_attribute("input.value", question)
        root.set_attribute("session.id", session)
        with tracer.start_as_current_span("retrieve") as span:
            span.set_attribute("openinference.span.kind", "RETRIEVER")
            docs = [text for key, text in DOCS.items() if key in question.lower()]
            for i, text in enumerate(docs):
                span.set_attribute(f"retrieval.documents.{i}.document.content", text)
        with tracer.start_as_current_span("chat rule-based") as span:
            span.set_attribute("gen_ai.operation.name", "chat")
            span.set_attribute("gen_ai.request.model", "rule-based")
            answer = docs[0] if docs else "I don't know."
            span.set_attribute("gen_ai.completion", answer)
        root.set_attribute("output.value", answer)
        return answer


def main() -> None:
    for question in ("How do I reset my password?", "When is my refund paid?", "Hello?"):
        support_bot(question, session="chat-1")
    provider.force_flush()  # a script waits for the batch processor; a server never needs to
    print("exporter:", exporter.stats)

    traces = evalkit.search_traces(
        filter_string="metadata.`mlflow.trace.session` = 'chat-1'", return_type="list"
    )
    for t in traces:
        print(" ", t.info.trace_id, [(s.name, str(s.span_type)) for s in t.spans])

    @evalkit.scorer
    def retrieved_something(trace: Trace) -> bool:
        return any(span.outputs for span in trace.search_spans(span_type="RETRIEVER"))

    data = [
        {"inputs": {"question": t.root.inputs}, "outputs": t.root.outputs, "trace": t}
        for t in traces
        if t.root is not None
    ]
    result = evalkit.evaluate(data=data, scorers=[retrieved_something])
    print("retrieved_something/mean:", round(result.metrics["retrieved_something/mean"], 3))

    export_otlp_json(traces, "otel-traces.json")
    back = read_otlp_json("otel-traces.json")
    assert [t.info.trace_id for t in back] == [t.info.trace_id for t in traces]
    print(f"wrote {len(back)} traces to otel-traces.json (OTLP/JSON) and read them back")
    provider.shutdown()


if __name__ == "__main__":
    main()
