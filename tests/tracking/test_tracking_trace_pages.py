"""Stored traces a page at a time, on SQLite and PostgreSQL: ``MlflowClient.search_traces``
with ``page_token`` (MLflow's), ``iter_traces`` (lazy, oldest first), ``include_spans``."""

from __future__ import annotations

import pytest

import evalkit
from evalkit import MlflowClient, TrackingError
from evalkit.entities import Span, Trace, TraceData, TraceInfo


def _trace(n: int, *, env: str = "prod") -> Trace:
    start = 1_700_000_000_000 + n * 1000
    return Trace(
        info=TraceInfo(
            trace_id=f"tr-{n:032x}",
            request_time=start,
            execution_duration=10,
            tags={"env": env},
        ),
        data=TraceData(
            spans=[
                Span(
                    name="agent",
                    span_type="AGENT",
                    span_id="1",
                    inputs={"q": f"question {n}"},
                    outputs=f"answer {n}",
                    start_time_ns=start * 1_000_000,
                    end_time_ns=(start + 10) * 1_000_000,
                ),
                Span(name="tool", span_type="TOOL", span_id="2", parent_id="1", outputs=[n]),
            ]
        ),
    )


def _n(traces: list[Trace]) -> list[int]:
    return [int(t.info.trace_id[3:], 16) for t in traces]


@pytest.fixture
def eleven(backend: str) -> str:
    experiment_id = evalkit.set_experiment("pages").experiment_id
    evalkit.log_traces([_trace(n, env="dev" if n % 3 == 0 else "prod") for n in range(11)])
    return experiment_id


def test_client_pages_cover_every_match_once_in_order(eleven: str) -> None:
    client = MlflowClient()
    pages = [client.search_traces([eleven], max_results=4)]
    while pages[-1].token:
        pages.append(client.search_traces([eleven], max_results=4, page_token=pages[-1].token))
    assert [_n(p) for p in pages] == [[10, 9, 8, 7], [6, 5, 4, 3], [2, 1, 0]]  # newest first
    assert pages[-1].token is None
    exact = client.search_traces(eleven, max_results=11)  # one id works too
    assert len(exact) == 11 and exact.token is None
    assert client.search_traces([eleven]).token is None  # MLflow's default page: 100


def test_client_pages_keep_the_filter_and_the_order(eleven: str) -> None:
    client = MlflowClient()
    kwargs = {"filter_string": "tags.env = 'prod'", "order_by": ["timestamp_ms ASC"]}
    first = client.search_traces([eleven], max_results=5, **kwargs)
    second = client.search_traces([eleven], max_results=5, page_token=first.token, **kwargs)
    assert _n(first) == [1, 2, 4, 5, 7] and _n(second) == [8, 10] and second.token is None


def test_a_bad_page_token_or_size_is_a_clear_error(eleven: str) -> None:
    client = MlflowClient()
    with pytest.raises(TrackingError, match="not a token this search returned"):
        client.search_traces([eleven], page_token="garbage")
    with pytest.raises(TrackingError, match="max_results must be a whole number"):
        client.search_traces([eleven], max_results=0)


def test_include_spans_false_reads_everything_but_the_spans(eleven: str) -> None:
    evalkit.log_feedback(f"tr-{3:032x}", name="ok", value=True)
    light = evalkit.search_traces(
        filter_string="attributes.timestamp_ms = 1700000003000",
        return_type="list",
        include_spans=False,
    )
    (trace,) = light
    assert trace.data.spans == [] and trace.info.tags == {"env": "dev"}
    assert [a.name for a in trace.info.assessments] == ["ok"]
    page = MlflowClient().search_traces([eleven], max_results=2, include_spans=False)
    assert [len(t.data.spans) for t in page] == [0, 0]


def test_iter_traces_reads_page_by_page_oldest_first(
    eleven: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evalkit.tracking import _context

    store = _context.current_store()
    asked: list[int | None] = []
    search = store.search_traces

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(args[2] if len(args) > 2 else kwargs.get("max_results"))
        return search(*args, **kwargs)

    monkeypatch.setattr(store, "search_traces", counting)
    walk = evalkit.iter_traces(page_size=4)
    assert len(asked) == 1  # the first page is read (and the filter checked) at once
    got = list(walk)
    assert _n(got) == list(range(11))
    assert asked == [5, 5, 5]  # three pages of 4 (+1 to see whether another follows)
    assert [len(t.spans) for t in got] == [2] * 11
    prod = evalkit.iter_traces(filter_string="tags.env = 'dev'", order_by=["timestamp_ms DESC"])
    assert _n(list(prod)) == [9, 6, 3, 0]


def test_iter_traces_checks_its_arguments_when_called(eleven: str) -> None:
    with pytest.raises(TrackingError, match="unknown trace attribute"):
        evalkit.iter_traces(filter_string="attributes.nope = 1")
    with pytest.raises(TrackingError, match="page_size"):
        evalkit.iter_traces(page_size=0)
    with pytest.raises(TrackingError, match="no experiment named"):
        evalkit.iter_traces(experiment_names=["missing"])
    assert list(evalkit.iter_traces(filter_string="tags.env = 'none'")) == []
