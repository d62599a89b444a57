"""What the command reads from the tracking store: runs, their metrics and per-row tables."""

from __future__ import annotations

import datetime as _dt
from types import ModuleType
from typing import TYPE_CHECKING, Any

from evalkit.errors import RunNotFoundError, TrackingError

if TYPE_CHECKING:
    import pandas as pd

    from evalkit.report import ReportRun

__all__ = [
    "TRACKING_URI_ENV",
    "RunNotFoundError",
    "configure",
    "list_runs",
    "load_run",
    "resolve_run_id",
    "tracking",
    "tracking_uri",
]

TABLE_ARTIFACT = "eval_results_table.json"
TRACKING_URI_ENV = "EVALKIT_TRACKING_URI"
"""The environment variable that names the tracking store."""


def tracking() -> ModuleType:
    """The tracking module (its fluent, MLflow-style functions)."""
    import evalkit.tracking

    return evalkit.tracking


def tracking_uri() -> str:
    """Where runs are logged and read now."""
    return str(tracking().get_tracking_uri())  # callers that print it redact it


def configure(tracking_uri: str | None) -> None:
    """Point the store at ``tracking_uri`` (``None``: the default or the environment's)."""
    if tracking_uri:
        tracking().set_tracking_uri(tracking_uri)


def _runs_frame(experiment: str | None, max_results: int) -> pd.DataFrame:
    module = tracking()
    kwargs: dict[str, Any] = {"max_results": max_results, "order_by": ["start_time DESC"]}
    if experiment is not None:
        if module.get_experiment_by_name(experiment) is None:
            raise TrackingError(f"no experiment named {experiment!r} in the tracking store")
        kwargs["experiment_names"] = [experiment]
    else:
        kwargs["search_all_experiments"] = True
    return module.search_runs(**kwargs)


def list_runs(experiment: str | None = None, max_results: int = 50) -> list[dict[str, Any]]:
    """The newest runs first: id, name, experiment, status, start time and metrics."""
    frame = _runs_frame(experiment, max_results)
    names: dict[str, str] = {}
    runs = []
    for _, row in frame.iterrows():
        metrics = {
            str(k)[len("metrics.") :]: float(v)
            for k, v in row.items()
            if str(k).startswith("metrics.") and v == v and v is not None
        }
        runs.append(
            {
                "run_id": str(row["run_id"]),
                "name": row.get("tags.mlflow.runName") or row.get("run_name") or "",
                "experiment_id": str(row.get("experiment_id", "")),
                "experiment": _experiment_name(str(row.get("experiment_id", "")), names),
                "status": str(row.get("status", "")),
                "start_time": _when(row.get("start_time")),
                "metrics": metrics,
            }
        )
    return runs


def _experiment_name(experiment_id: str, names: dict[str, str]) -> str:
    """The experiment's name (looked up once per id), or its id when it has none."""
    if experiment_id not in names:
        found = tracking().get_experiment(experiment_id) if experiment_id else None
        names[experiment_id] = str(getattr(found, "name", "") or experiment_id)
    return names[experiment_id]


def _when(value: Any) -> str:
    if value is None or value != value:
        return ""
    if isinstance(value, int | float):
        value = _dt.datetime.fromtimestamp(value / 1000, tz=_dt.UTC)
    if hasattr(value, "strftime"):
        return str(value.strftime("%Y-%m-%d %H:%M:%S"))
    return str(value)


def resolve_run_id(reference: str, experiment: str | None = None) -> str:
    """A run id as given, or the newest run's for ``latest``."""
    if reference == "latest":
        runs = list_runs(experiment, max_results=1)
        if not runs:
            raise RunNotFoundError("there are no runs in the tracking store yet")
        return str(runs[0]["run_id"])
    return reference


def _get_run(run_id: str) -> Any:
    module = tracking()
    try:
        run = module.get_run(run_id)
    except TrackingError:
        from evalkit.redaction import redact_url

        where = redact_url(str(module.get_tracking_uri()))
        raise RunNotFoundError(
            f"run {run_id!r} not found in the tracking store {where}; "
            "`evalkit runs list` shows the runs there"
        ) from None
    if run is None:
        raise RunNotFoundError(f"run {run_id!r} not found in the tracking store")
    return run


def _table(run_id: str) -> pd.DataFrame | None:
    module = tracking()
    try:
        table: pd.DataFrame = module.load_table(TABLE_ARTIFACT, run_ids=[run_id])
        return table
    except (TrackingError, FileNotFoundError, KeyError):
        return None


def load_run(reference: str, experiment: str | None = None) -> ReportRun:
    """A stored run as a report sees it: metrics, per-row table, params and facts.

    Raises:
        RunNotFoundError: No run has that id.
    """
    from evalkit.report import ReportRun

    run_id = resolve_run_id(reference, experiment)
    run = _get_run(run_id)
    info, data = run.info, run.data
    experiment_id = str(getattr(info, "experiment_id", "") or "")
    facts = {
        "experiment": _experiment_name(experiment_id, {}),
        "status": getattr(info, "status", ""),
        "started": _when(getattr(info, "start_time", None)),
    }
    tags = dict(getattr(data, "tags", {}) or {})
    name = getattr(info, "run_name", None) or tags.get("mlflow.runName")
    return ReportRun(
        run_id=run_id,
        name=name,
        metrics=dict(data.metrics),
        table=_table(run_id),
        params=dict(getattr(data, "params", {}) or {}),
        info={k: v for k, v in facts.items() if v},
    )
