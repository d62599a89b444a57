"""The UI's Starlette application: routes, pages and the guards in front of them.

Guards, outermost first: the ``Host`` header must name the bound address (a page on another
site cannot reach the UI through DNS rebinding); with a token, every request must carry it
(``?token=`` once, then an HttpOnly same-site cookie); every POST must come from a page of
the UI itself (same ``Origin`` and the per-server form key). Pages are Jinja2 templates with
autoescaping on and a Content-Security-Policy that allows only the UI's own script.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import math
import secrets
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from markupsafe import Markup

from evalkit.errors import TrackingError
from evalkit.ui import data
from evalkit.ui.feedback import human_feedback, record_human_feedback

if TYPE_CHECKING:
    import jinja2
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["UiSettings", "create_app"]

PAGE_SIZE = 50
PREVIEW_CHARS = 300
"""A table cell shows this much; the rest is behind an expand (and on the row page)."""
EXPAND_CHARS = 20_000
"""An expanded cell shows at most this much; the row page shows the rest."""
_STATIC = {"ui.css": "text/css; charset=utf-8", "ui.js": "text/javascript; charset=utf-8"}
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'"
)
_COOKIE = "evalkit_ui_token"


@dataclass(frozen=True, kw_only=True)
class UiSettings:
    """How the UI is served."""

    allowed_hosts: list[str]
    """Host names the ``Host`` header may carry (the bound address, ``localhost`` on loopback)."""
    token: str | None = None
    """When set, every request must carry it (query ``token=``, cookie or bearer header)."""
    experiment: str | None = None
    """Open on this experiment's runs instead of the experiment list."""
    form_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    """A secret every form posts back; a page elsewhere cannot read it."""


# -- rendering helpers ---------------------------------------------------------------------


@cache
def _environment() -> jinja2.Environment:
    from evalkit.report.render import html_environment

    env = html_environment("evalkit.ui")
    env.filters["when"] = _when
    env.filters["pretty"] = _pretty
    env.globals["PREVIEW_CHARS"] = PREVIEW_CHARS
    env.globals["EXPAND_CHARS"] = EXPAND_CHARS
    env.globals["user_tags"] = _user_tags
    return env


def _user_tags(tags: Mapping[str, str]) -> list[tuple[str, str]]:
    """The tags a person set (not ``mlflow.*`` / ``evalkit.*`` bookkeeping)."""
    return [(k, v) for k, v in tags.items() if not k.startswith(("mlflow.", "evalkit."))]


def _when(ms: Any) -> str:
    import datetime as dt

    if ms is None or (isinstance(ms, float) and math.isnan(ms)):
        return ""
    moment = dt.datetime.fromtimestamp(int(ms) / 1000, tz=dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _pretty(value: Any) -> str:
    """A cell in full: strings as they are, records as indented JSON."""
    from evalkit.engine.table_cells import plain, present

    value = plain(value)
    if not present(value):
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def _html(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    from starlette.responses import HTMLResponse

    settings: UiSettings = request.app.state.settings
    text = (
        _environment()
        .get_template(template)
        .render(form_key=settings.form_key, path=request.url.path, **context)
    )
    return HTMLResponse(text, status_code=status)


def _link(path: str, **query: Any) -> str:
    pairs = [(k, v) for k, v in query.items() if v not in (None, "", [])]
    flat: list[tuple[str, Any]] = []
    for key, value in pairs:
        if isinstance(value, list | tuple):
            flat.extend((key, v) for v in value)
        else:
            flat.append((key, value))
    return path + ("?" + urlencode(flat) if flat else "")


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default


# -- pages ---------------------------------------------------------------------------------


def _experiments(request: Request) -> Response:
    from starlette.responses import RedirectResponse

    settings: UiSettings = request.app.state.settings
    search = request.query_params.get("q", "")
    if settings.experiment and not request.query_params.get("all"):
        experiment = _tracking_experiment_by_name(settings.experiment)
        if experiment is not None:
            return RedirectResponse(f"/experiments/{experiment.experiment_id}", status_code=303)
    return _html(
        request, "experiments.html.j2", experiments=data.experiments(search), search=search
    )


def _tracking_experiment_by_name(name: str) -> Any:
    import evalkit.tracking

    return evalkit.tracking.get_experiment_by_name(name)


def _sort_runs(runs: list[Any], key: str, descending: bool) -> list[Any]:
    def value(run: Any) -> Any:
        if key == "name":
            return (run.info.run_name or "").lower()
        if key == "started":
            return run.info.start_time or 0
        if key == "duration":
            return data.duration_s(run)
        if key == "cost":
            return data.cost(run)
        if key == "status":
            return str(run.info.status)
        return run.data.metrics.get(key)

    present = [r for r in runs if value(r) is not None]
    missing = [r for r in runs if value(r) is None]
    return sorted(present, key=value, reverse=descending) + missing


def _experiment_runs(request: Request) -> Response:
    experiment = data.get_experiment(request.path_params["experiment_id"])
    query = request.query_params
    filter_string = query.get("filter", "")
    error = ""
    try:
        runs = data.runs_of(experiment.experiment_id, filter_string)
    except TrackingError as exc:
        error = str(exc)
        runs = data.runs_of(experiment.experiment_id)
    every_metric = sorted({k for r in runs for k in r.data.metrics})
    chosen = [m for m in query.getlist("metric") if m in every_metric]
    if not chosen:
        chosen = [m for m in every_metric if m.endswith("/mean")][:6]
    sort = query.get("sort", "started")
    descending = query.get("dir", "desc" if sort == "started" else "asc") == "desc"
    runs = _sort_runs(runs, sort, descending)
    trend_metric = query.get("trend") or (chosen[0] if chosen else "")
    trend = data.metric_history(runs, trend_metric) if trend_metric else []
    from evalkit.ui.charts import trend_svg

    def sort_link(key: str) -> str:
        flip = "asc" if (sort == key and descending) else "desc"
        if sort != key:
            flip = "asc" if key in ("name", "status") else "desc"
        return _link(request.url.path, filter=filter_string, metric=chosen, sort=key, dir=flip)

    return _html(
        request,
        "runs.html.j2",
        experiment=experiment,
        runs=runs,
        every_metric=every_metric,
        chosen=chosen,
        filter_string=filter_string,
        error=error,
        sort=sort,
        descending=descending,
        sort_link=sort_link,
        cost=data.cost,
        duration=data.duration_s,
        trend_metric=trend_metric,
        trend_svg=trend_svg(trend_metric, trend) if trend_metric else Markup(""),
    )


@lru_cache(maxsize=8)
def _charts(run_id: str, table_id: int) -> list[tuple[str, Markup]]:
    from evalkit.report.charts import distribution_svg
    from evalkit.report.render import _values

    table = data.run_table(run_id)
    if table is None:
        return []
    return [(s, distribution_svg(s, _values(table.frame, s))) for s in table.scorers]


def _below(query: Mapping[str, str]) -> tuple[str, float] | None:
    scorer = query.get("below_scorer", "")
    try:
        limit = float(query.get("below", ""))
    except ValueError:
        return None
    return (scorer, limit) if scorer and math.isfinite(limit) else None


def _row_view(table: data.RunTable, position: int) -> dict[str, Any]:
    from evalkit.engine.table_cells import format_cell

    row = table.row(position)
    cells = {c: format_cell(row.get(c)) for c in table.record_columns}
    scores = {}
    for s in table.scorers:
        code = row.get(f"{s}/error_code")
        from evalkit.engine.table_cells import present

        failed = present(code)
        scores[s] = {
            "text": "error" if failed else format_cell(row.get(f"{s}/value")),
            "error": f"{code}: {format_cell(row.get(f'{s}/error_message'))}" if failed else "",
            "rationale": format_cell(row.get(f"{s}/rationale")),
        }
    return {"position": position, "cells": cells, "scores": scores}


class _RunRows:
    """The slow half of a run page (the per-row table), computed only when the page's
    template reaches it, after the fast half was already sent to the browser."""

    def __init__(self, run_id: str, query: Mapping[str, str]) -> None:
        self.run_id = run_id
        self.query = query
        self.below = _below(query)
        self.sort = query.get("sort", "")
        self.descending = query.get("dir", "asc") == "desc"
        self.size = min(max(_int(query.get("size"), PAGE_SIZE), 1), 500)
        show = query.get("show", "all")
        self.state = {
            "show": show if show != "all" else "",
            "q": query.get("q", ""),
            "below_scorer": self.below[0] if self.below else "",
            "below": query.get("below", "") if self.below else "",
            "sort": self.sort,
            "dir": "desc" if self.descending else "",
            "size": self.size if self.size != PAGE_SIZE else "",
        }

    @cached_property
    def table(self) -> data.RunTable | None:
        return data.run_table(self.run_id)

    @cached_property
    def charts(self) -> list[tuple[str, Markup]]:
        return [] if self.table is None else _charts(self.run_id, id(self.table))

    @cached_property
    def page(self) -> data.RowPage | None:
        if self.table is None:
            return None
        return self.table.select(
            show=self.query.get("show", "all"),
            below=self.below,
            search=self.query.get("q", ""),
            sort=self.sort,
            descending=self.descending,
            page=_int(self.query.get("page"), 1),
            page_size=self.size,
        )

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        if self.table is None or self.page is None:
            return []
        return [_row_view(self.table, p) for p in self.page.positions]

    @cached_property
    def feedback_rows(self) -> set[int]:
        return {f.row for f in human_feedback(self.run_id)}

    def page_link(self, path: str, number: int) -> str:
        return _link(path, **self.state, page=number)

    def sort_link(self, path: str, scorer: str) -> str:
        flip = "asc" if (self.sort == scorer and self.descending) else "desc"
        return _link(path, **{**self.state, "sort": scorer, "dir": flip})


_FLUSH = "<!-- evalkit:flush -->"


def _streamed(request: Request, template: str, **context: Any) -> Response:
    """A page sent in two parts: up to the template's flush mark at once (the browser paints
    it), the rest when it is rendered (a big run's table may need a moment to load)."""
    from starlette.concurrency import iterate_in_threadpool
    from starlette.responses import StreamingResponse

    settings: UiSettings = request.app.state.settings
    pieces = (
        _environment()
        .get_template(template)
        .generate(form_key=settings.form_key, path=request.url.path, **context)
    )

    def parts() -> Iterator[str]:
        buffered: list[str] = []
        for piece in pieces:
            buffered.append(piece)
            if _FLUSH in piece:
                yield "".join(buffered)
                buffered = []
        yield "".join(buffered)

    return StreamingResponse(iterate_in_threadpool(parts()), media_type="text/html; charset=utf-8")


def _run(request: Request) -> Response:
    run_id = request.path_params["run_id"]
    run = data.get_run(run_id)
    return _streamed(
        request,
        "run.html.j2",
        run=run,
        lazy=_RunRows(run_id, request.query_params),
        cost=data.cost(run),
        duration=data.duration_s(run),
    )


def _row(request: Request) -> Response:
    run_id = request.path_params["run_id"]
    run = data.get_run(run_id)
    table = data.run_table(run_id)
    position = _int(request.path_params["row"], -1)
    if table is None or not 0 <= position < len(table):
        raise TrackingError(f"no row {request.path_params['row']!r} in run {run_id}")
    from evalkit.engine.table_cells import format_cell

    cells = table.row(position)
    judged = []
    from evalkit.engine.table_cells import present

    for s in table.scorers:
        judged.append(
            {
                "scorer": s,
                "value": format_cell(cells.get(f"{s}/value")),
                "rationale": _pretty(cells.get(f"{s}/rationale")),
                "error_code": _pretty(cells.get(f"{s}/error_code")),
                "error_message": _pretty(cells.get(f"{s}/error_message")),
            }
        )
    known = {"inputs", "outputs", "expectations"} | {
        f"{s}/{part}"
        for s in table.scorers
        for part in ("value", "rationale", "error_code", "error_message")
    }
    known.add("trace")
    other = {k: _pretty(v) for k, v in cells.items() if k not in known and present(v)}
    trace_spans, stored_trace_id = _row_trace(cells.get("trace"))
    return _html(
        request,
        "row.html.j2",
        run=run,
        position=position,
        total=len(table),
        record={c: _pretty(cells.get(c)) for c in ("inputs", "outputs", "expectations")},
        judged=judged,
        other=other,
        feedback=human_feedback(run_id, position),
        trace_spans=trace_spans,
        stored_trace_id=stored_trace_id,
        ms=_ms,
    )


def _row_trace(cell: Any) -> tuple[list[Any], str]:
    """A row's ``trace`` cell as span lines, and its id when that trace is in the store."""
    from evalkit.engine.table_cells import present
    from evalkit.judges.views import span_lines
    from evalkit.tracing import to_trace

    if not present(cell):
        return [], ""
    try:
        trace = to_trace(cell)
    except (ValueError, TypeError, KeyError):
        return [], ""
    if trace is None:
        return [], ""
    stored = ""
    with contextlib.suppress(TrackingError):
        stored = data.get_trace(trace.info.trace_id).info.trace_id
    return span_lines(trace), stored


def _add_feedback(request: Request, form: Mapping[str, str]) -> Response:
    from starlette.responses import RedirectResponse

    run_id = request.path_params["run_id"]
    data.get_run(run_id)
    position = _int(request.path_params["row"], -1)
    table = data.run_table(run_id)
    if table is None or not 0 <= position < len(table):
        raise TrackingError(f"no row {request.path_params['row']!r} in run {run_id}")
    value = form.get("value", "").strip()
    if not value:
        from starlette.responses import PlainTextResponse

        return PlainTextResponse("feedback needs a value", status_code=400)
    record_human_feedback(run_id, position, value, form.get("rationale", ""))
    return RedirectResponse(f"/runs/{run_id}/rows/{position}#feedback", status_code=303)


# -- traces -------------------------------------------------------------------------------------

FEEDBACK_VALUES = ("good", "bad", "unsure")
"""The verdicts the trace feedback form offers (stored as the feedback's value)."""


def _trace_summary(trace: Any) -> dict[str, Any]:
    info = trace.info
    root = trace.root
    return {
        "trace_id": info.trace_id,
        "name": root.name if root is not None else "",
        "state": str(info.state),
        "started": info.request_time,
        "duration_ms": info.execution_duration,
        "session_id": info.session_id or "",
        "run_id": info.run_id or "",
        "spans": len(trace.data.spans),
        "assessments": len(info.assessments),
        "request": info.request_preview or "",
        "response": info.response_preview or "",
    }


def _ms(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.1f} ms" if value < 1000 else f"{value / 1000:.2f} s"


def _assessment_view(assessment: Any) -> dict[str, Any]:
    from evalkit.entities.trace import assessment_to_dict

    d = assessment_to_dict(assessment)
    kind = "expectation" if "expectation" in d else "feedback"
    body = d.get(kind) or {}
    source = d.get("source") or {}
    error = body.get("error") or {}
    return {
        "name": d.get("assessment_name") or "",
        "kind": kind,
        "value": _pretty(body.get("value")),
        "rationale": d.get("rationale") or "",
        "source_type": source.get("source_type") or "",
        "source_id": source.get("source_id") or "",
        "span_id": d.get("span_id") or "",
        "error": f"{error.get('error_code', '')}: {error.get('error_message') or ''}"
        if error
        else "",
        "when": d.get("create_time_ms"),
    }


def _experiment_traces(request: Request) -> Response:
    experiment = data.get_experiment(request.path_params["experiment_id"])
    query = request.query_params
    filter_string = query.get("filter", "")
    # "max" is the page size's older name, kept so that old links still work
    size = max(1, min(_int(query.get("size") or query.get("max"), data.TRACES_PAGE_SIZE), 500))
    number = max(1, _int(query.get("page"), 1))
    error = ""
    try:
        page = data.traces_page(experiment.experiment_id, filter_string, number, size)
    except TrackingError as exc:
        error = str(exc)
        filter_string_used = ""
        page = data.traces_page(experiment.experiment_id, "", number, size)
    else:
        filter_string_used = filter_string
    path = f"/experiments/{experiment.experiment_id}/traces"
    state = {
        "filter": filter_string_used,
        "size": size if size != data.TRACES_PAGE_SIZE else "",
    }

    def page_link(n: int) -> str:
        return _link(path, **state, page=n if n > 1 else "")

    return _html(
        request,
        "traces.html.j2",
        experiment=experiment,
        traces=[_trace_summary(t) for t in page.traces],
        trace_page=page,
        page_link=page_link,
        filter_string=filter_string,
        error=error,
        limit=size,
        ms=_ms,
        link=_link,
    )


def _trace(request: Request) -> Response:
    from evalkit.judges.views import span_lines

    trace = data.get_trace(request.path_params["trace_id"])
    return _html(
        request,
        "trace.html.j2",
        trace=_trace_summary(trace),
        experiment_id=trace.info.experiment_id or "",
        spans=span_lines(trace),
        tags=_user_tags(trace.info.tags),
        assessments=[_assessment_view(a) for a in trace.info.assessments],
        values=FEEDBACK_VALUES,
        ms=_ms,
        link=_link,
    )


def _conversation(request: Request) -> Response:
    experiment = data.get_experiment(request.path_params["experiment_id"])
    session_id = request.query_params.get("session", "")
    if not session_id:
        raise TrackingError("a conversation needs ?session=<session id>")
    turns = []
    for trace in data.session_traces(experiment.experiment_id, session_id):
        summary = _trace_summary(trace)
        root = trace.root
        summary["inputs"] = _pretty(root.inputs) if root is not None else ""
        summary["outputs"] = _pretty(root.outputs) if root is not None else ""
        summary["feedback"] = [_assessment_view(a) for a in trace.info.assessments]
        turns.append(summary)
    return _html(
        request,
        "conversation.html.j2",
        experiment=experiment,
        session_id=session_id,
        turns=turns,
        ms=_ms,
    )


def _add_trace_feedback(request: Request, form: Mapping[str, str]) -> Response:
    from starlette.responses import PlainTextResponse, RedirectResponse

    trace = data.get_trace(request.path_params["trace_id"])
    value = form.get("value", "").strip()
    name = form.get("name", "").strip() or "human_feedback"
    if not value:
        return PlainTextResponse("feedback needs a value", status_code=400)
    data.add_trace_feedback(
        trace.info.trace_id,
        name=name[:200],
        value=value[:200],
        rationale=form.get("rationale", "")[:MAX_RATIONALE],
        source_id=(form.get("source", "").strip() or "ui")[:200],
    )
    return RedirectResponse(_link(f"/traces/{trace.info.trace_id}") + "#assessments", 303)


MAX_RATIONALE = 2000
"""The most characters of a rationale the feedback form stores."""


def _compare(request: Request) -> Response:
    from evalkit.report.comparison import compare_runs

    ids = [r for r in request.query_params.getlist("run") if r]
    ids = list(dict.fromkeys(ids))
    if len(ids) < 2:
        raise _BadRequest("compare needs two runs or more: /compare?run=A&run=B")
    runs = [data.get_run(r) for r in ids]
    tables = [data.run_table(r) for r in ids]
    keys = sorted({k for r in runs for k in r.data.metrics})
    metrics = []
    for key in keys:
        values = [r.data.metrics.get(key) for r in runs]
        base = values[0]
        deltas = [None if v is None or base is None else v - base for v in values]
        metrics.append({"key": key, "values": values, "deltas": deltas})
    base_table = tables[0]
    comparisons = []
    for run, table in zip(runs[1:], tables[1:], strict=True):
        comparisons.append(
            compare_runs(
                runs[0].data.metrics,
                None if base_table is None else base_table.frame,
                run.data.metrics,
                None if table is None else table.frame,
            )
        )
    # Side by side: the baseline's rows that changed in any other run first, then the rest.
    changed: dict[int, set[str]] = {}
    pairs: list[dict[int, int]] = []
    for comparison in comparisons:
        b_of_a = {int(a): int(b) for a, b in comparison.row_pairs}
        pairs.append(b_of_a)
        a_of_b = {b: a for a, b in b_of_a.items()}
        for changes in comparison.changes.values():
            for change in changes:
                a = a_of_b.get(int(change.row_b))
                if a is not None:
                    changed.setdefault(a, set()).add(change.direction)
    only_changed = request.query_params.get("show", "changed") == "changed"
    positions = (
        sorted(changed) if only_changed or base_table is None else (list(range(len(base_table))))
    )
    size = PAGE_SIZE
    pages = max(1, math.ceil(len(positions) / size))
    page = min(max(1, _int(request.query_params.get("page"), 1)), pages)
    side_rows = []
    for a in positions[(page - 1) * size : page * size]:
        if base_table is None:
            break
        base_row = base_table.row(a)
        outputs = [_pretty(base_row.get("outputs"))]
        for table, b_of_a in zip(tables[1:], pairs, strict=True):
            b = b_of_a.get(a)
            outputs.append(
                "" if table is None or b is None else _pretty(table.row(b).get("outputs"))
            )
        side_rows.append(
            {
                "position": a,
                "inputs": _pretty(base_row.get("inputs")),
                "outputs": outputs,
                "changes": sorted(changed.get(a, ())),
            }
        )

    def page_link(number: int) -> str:
        return _link("/compare", run=ids, show="" if only_changed else "all", page=number)

    return _html(
        request,
        "compare.html.j2",
        runs=runs,
        metrics=metrics,
        comparisons=comparisons,
        side_rows=side_rows,
        only_changed=only_changed,
        page=page,
        pages=pages,
        page_link=page_link,
        all_link=_link("/compare", run=ids, show="all"),
        changed_link=_link("/compare", run=ids),
    )


def _datasets(request: Request) -> Response:
    return _html(
        request,
        "datasets.html.j2",
        uses=data.dataset_uses(),
        stored=data.stored_datasets(),
    )


@cache
def _static_text(name: str) -> str:
    return resources.files("evalkit.ui").joinpath("static", name).read_text("utf-8")


def _static(request: Request) -> Response:
    from starlette.responses import PlainTextResponse, Response

    name = request.path_params["name"]
    if name not in _STATIC:  # a fixed list: no path from the URL reaches the file system
        return PlainTextResponse("not found", status_code=404)
    return Response(_static_text(name), media_type=_STATIC[name])


class _BadRequest(Exception):
    pass


# -- guards --------------------------------------------------------------------------------


class _Guard:
    """Token, same-origin POSTs and response headers (the Host check is Starlette's)."""

    def __init__(self, app: ASGIApp, settings: UiSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from starlette.datastructures import MutableHeaders
        from starlette.requests import Request
        from starlette.responses import PlainTextResponse, RedirectResponse

        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        token = self.settings.token
        if token is not None:
            given = request.query_params.get("token")
            if given is not None and hmac.compare_digest(given.encode(), token.encode()):
                # Trade the token in the URL for a cookie, and drop it from the address bar.
                response = RedirectResponse(request.url.remove_query_params("token"), 303)
                response.set_cookie(_COOKIE, token, httponly=True, samesite="strict")
                await response(scope, receive, send)
                return
            header = request.headers.get("authorization", "")
            offered = request.cookies.get(_COOKIE) or header.removeprefix("Bearer ").strip()
            if not offered or not hmac.compare_digest(offered.encode(), token.encode()):
                await PlainTextResponse(
                    "evalkit ui: this server needs its token (open the URL it printed)", 401
                )(scope, receive, send)
                return
        if request.method not in ("GET", "HEAD") and not self._same_origin(request):
            await PlainTextResponse(
                "evalkit ui: refused a state-changing request from another origin", 403
            )(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = _CSP
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"  # "no-referrer" makes POSTs Origin: null
                headers["X-Frame-Options"] = "DENY"
                headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)

    def _same_origin(self, request: Request) -> bool:
        origin = request.headers.get("origin")
        host = request.headers.get("host", "")
        if origin is not None:
            return origin in (f"http://{host}", f"https://{host}")
        site = request.headers.get("sec-fetch-site")
        if site is not None:
            return site in ("same-origin", "none")
        # No browser origin headers (a script or an old client): the form key must match.
        return True


def _error_handlers() -> dict[Any, Callable[[Request, Exception], Awaitable[Response]]]:
    from starlette.exceptions import HTTPException

    async def not_found(request: Request, exc: Exception) -> Response:
        message = exc.detail if isinstance(exc, HTTPException) else str(exc)
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        return _html(request, "error.html.j2", status=status, message=message)

    async def bad_request(request: Request, exc: Exception) -> Response:
        return _html(request, "error.html.j2", status=400, message=str(exc))

    return {TrackingError: not_found, HTTPException: not_found, _BadRequest: bad_request}


MAX_FORM_BYTES = 64_000


async def _form(request: Request) -> dict[str, str]:
    """A small url-encoded form (the UI posts nothing else), first value of each field."""
    from urllib.parse import parse_qs

    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise _BadRequest("the form is too large")
    fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {k: v[0] for k, v in fields.items()}


async def _check_form_key(request: Request, form: Mapping[str, str]) -> bool:
    settings: UiSettings = request.app.state.settings
    offered = request.headers.get("x-evalkit-form-key") or form.get("form_key", "")
    return hmac.compare_digest(offered.encode(), settings.form_key.encode())


async def _post_feedback(request: Request) -> Response:
    from starlette.responses import PlainTextResponse

    form = await _form(request)
    if not await _check_form_key(request, form):
        return PlainTextResponse("evalkit ui: the form key is missing or stale; reload", 403)
    return _add_feedback(request, form)


async def _post_trace_feedback(request: Request) -> Response:
    from starlette.responses import PlainTextResponse

    form = await _form(request)
    if not await _check_form_key(request, form):
        return PlainTextResponse("evalkit ui: the form key is missing or stale; reload", 403)
    return _add_trace_feedback(request, form)


def create_app(settings: UiSettings) -> Starlette:
    """The UI as an ASGI application (serve it with uvicorn, or test it with TestClient).

    Args:
        settings: Allowed hosts, token and starting experiment.
    """
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.routing import Route

    routes = [
        Route("/", _experiments),
        Route("/experiments/{experiment_id}", _experiment_runs),
        Route("/runs/{run_id}", _run),
        Route("/runs/{run_id}/rows/{row}", _row),
        Route("/runs/{run_id}/rows/{row}/feedback", _post_feedback, methods=["POST"]),
        Route("/experiments/{experiment_id}/traces", _experiment_traces),
        Route("/experiments/{experiment_id}/conversation", _conversation),
        Route("/traces/{trace_id}", _trace),
        Route("/traces/{trace_id}/feedback", _post_trace_feedback, methods=["POST"]),
        Route("/compare", _compare),
        Route("/datasets", _datasets),
        Route("/static/{name}", _static),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts),
            Middleware(_Guard, settings=settings),
        ],
        exception_handlers=_error_handlers(),
    )
    app.state.settings = settings
    return app
