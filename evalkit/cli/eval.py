"""``evalkit eval``: evaluate a dataset with the project's scorers and log the run.

Project code (``--predict``/``predict``, ``scorers/*.py``, ``module:function`` scorers) is
imported only when this command needs it: named scorers replace plug-in discovery, and
``--dry-run`` does not import the predict function, which it never calls.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalkit.cli import output, store
from evalkit.cli.common import (
    EXIT_CHECK_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    Subcommands,
    error,
    experiment,
    write_file,
)
from evalkit.cli.config import ProjectConfig
from evalkit.errors import EvalkitError

if TYPE_CHECKING:
    import pandas as pd

    from evalkit.entities import EvaluationResult
    from evalkit.scorers.base import Scorer

__all__ = ["DEFAULT_MAX_ERROR_RATE", "add_parser", "error_rates", "run"]

DEFAULT_MAX_ERROR_RATE = 0.5
"""The share of rows a scorer may fail on before ``evalkit eval`` exits 1: past half, its
metric describes the failures more than the app."""


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a share of rows between 0 and 1")
    return value


def add_parser(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    """Declare ``evalkit eval`` and its options."""
    ev = commands.add_parser("eval", parents=[common], help="evaluate a dataset and log the run")
    ev.add_argument("data", nargs="?", help="a .jsonl/.json/.csv/.parquet file or dataset name")
    ev.add_argument(
        "-s",
        "--scorer",
        action="append",
        default=[],
        metavar="NAME",
        help="built-in metric or judge, judge spec .yaml, plug-in .py or module:function "
        "(repeatable; default: the project's scorers/ and judges/ plug-ins)",
    )
    ev.add_argument("--predict", metavar="MODULE:FUNCTION", help="produces outputs from inputs")
    ev.add_argument("--run-name", help="a name for the run")
    ev.add_argument("--judge-model", help="model URI for built-in judges, e.g. openai:/gpt-4.1")
    ev.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="how long one judge call may take"
    )
    ev.add_argument(
        "--max-retries", type=int, metavar="N", help="retries of a judge call that failed"
    )
    ev.add_argument("--max-workers", type=int, help="size of the evaluation's thread pool")
    ev.add_argument(
        "--max-error-rate",
        type=_rate,
        metavar="SHARE",
        help="exit 1 when a scorer errored on more than this share of rows (default: "
        f"{DEFAULT_MAX_ERROR_RATE}, or max_error_rate in config); a scorer that errored on "
        "every row always fails",
    )
    ev.add_argument("--report", metavar="PATH", help="also write the HTML report here")
    ev.add_argument(
        "--resume",
        metavar="RUN",
        help="go on with a run that was killed or interrupted: only missing rows are scored "
        "('latest' for the newest run)",
    )
    ev.add_argument(
        "--retry-errors",
        action="store_true",
        help="with --resume, also score again the rows whose scorers errored",
    )
    ev.add_argument(
        "--cache",
        choices=["on", "read-only", "off"],
        help="the cache of judge calls (default: on, or EVALKIT_CACHE)",
    )
    ev.add_argument(
        "--max-cost", type=float, metavar="USD", help="start no judge call once this is spent"
    )
    ev.add_argument(
        "--judge-mode",
        choices=["sync", "batch"],
        help="'batch': send the judge calls through the OpenAI Batch API (half price), wait "
        "for the batch, then score (default: sync, or judge_mode in config)",
    )
    ev.add_argument(
        "--dry-run",
        action="store_true",
        help="print the estimated judge calls, tokens and cost; call nothing",
    )
    ev.add_argument(
        "--chunk-size",
        type=int,
        metavar="N",
        help="evaluate N rows at a time: memory bounded by the chunk, the table written in "
        "Parquet parts, resume chunk by chunk (default with --cluster/--workers: 10000)",
    )
    where = ev.add_mutually_exclusive_group()
    where.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="run the chunks on the Dask scheduler at ADDRESS, e.g. tcp://10.0.0.5:8786 "
        "(pip install 'evalkit[dask]')",
    )
    where.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="run the chunks on a local Dask cluster of N worker processes",
    )
    ev.add_argument("--json", action="store_true", help="print metrics and run id as JSON")


def _not_loaded(**inputs: Any) -> Any:
    """Stands for the predict function in a dry run, which never calls it."""
    raise EvalkitError("a dry run does not call the predict function")


def _with_call_options(scorers: list[Scorer], options: dict[str, Any]) -> list[Scorer]:
    """Judges that use ``options`` (timeout, retries) for their model calls; others as given."""
    if not options:
        return scorers
    from evalkit.judges import Judge

    configured: list[Scorer] = []
    for s in scorers:
        if isinstance(s, Judge):
            s = copy.copy(s)  # the plug-in module's own object stays as it was defined
            s.call_options = {**(s.call_options or {}), **options}
        configured.append(s)
    return configured


_WHOLE_TABLE_ROWS = 200_000
"""A chunked run's table is loaded whole for the summary up to this many rows; beyond, only
its rows with an error are."""


def _summary_table(result: EvaluationResult) -> tuple[int, pd.DataFrame]:
    """(rows, the per-row table or, for a big chunked run, its rows with an error)."""
    import pandas as pd

    parts_of = getattr(result.tables, "parts", None)
    if parts_of is None:
        table = result.tables["eval_results_table"]
        return len(table), table
    parts = parts_of("eval_results_table")
    n = len(parts)
    if n <= _WHOLE_TABLE_ROWS:
        return n, parts.to_pandas()
    failed = []
    for frame in parts.iter_frames():  # one part in memory at a time
        codes = [c for c in frame.columns if str(c).endswith("/error_code")]
        if codes:
            failed.append(frame[frame[codes].notna().any(axis=1)])
    return n, pd.concat(failed) if failed else pd.DataFrame()


def error_rates(result: EvaluationResult) -> dict[str, float]:
    """The share of rows each metric failed on, for the metrics that failed on any."""
    if getattr(result.tables, "parts", None) is not None:  # chunked: from the metrics
        n = len(result.tables.parts("eval_results_table"))  # type: ignore[attr-defined]
        return {
            key[: -len("/error_count")]: value / n
            for key, value in result.metrics.items()
            if key.endswith("/error_count") and value and n
        }
    table = result.tables["eval_results_table"]
    if not len(table):
        return {}
    rates: dict[str, float] = {}
    for column in table.columns:
        if str(column).endswith("/error_code"):
            failed = int(table[column].notna().sum())
            if failed:
                rates[str(column)[: -len("/error_code")]] = failed / len(table)
    return rates


def _too_many_errors(rates: dict[str, float], limit: float) -> list[str]:
    return [
        f"{name} errored on {rate:.0%} of the rows"
        + ("" if rate >= 1 else f", more than --max-error-rate {limit:g}")
        for name, rate in rates.items()
        if rate >= 1 or rate > limit
    ]


def _load_dataset(data: str) -> Any:
    if Path(data).exists():
        return data
    from evalkit.tracking.datasets import (
        get_dataset,  # no file: a dataset stored in the tracking store
    )

    try:
        return get_dataset(name=data)
    except EvalkitError:
        raise EvalkitError(f"{data!r} is neither a data file nor a stored dataset's name") from None


def run(args: argparse.Namespace, config: ProjectConfig) -> int:
    """Evaluate, print the summary and the run id; 1 when a scorer errored on too many rows."""
    import evalkit
    from evalkit.cli.scorers import resolve_predict_fn, resolve_scorers

    if args.retry_errors and not args.resume:
        return error("--retry-errors needs --resume RUN: the run whose errored rows to retry")
    data = args.data or config.get("data")
    if not data:
        return error("no data: give DATA (e.g. datasets/acme_qa.jsonl) or set 'data' in config")
    if Path(data).suffix and not Path(data).exists():
        return error(f"data file {data!r} does not exist; check the path")
    judge_model = args.judge_model or config.get("judge_model")
    scorers = resolve_scorers(args.scorer or config.get("scorers", []), judge_model)
    call_options = {
        key: value
        for key, value in (("timeout", args.timeout), ("max_retries", args.max_retries))
        if value is not None
    }
    scorers = _with_call_options(scorers, call_options)
    predict = args.predict or config.get("predict")
    dataset = _load_dataset(data)
    name = experiment(args, config)
    names = ", ".join(s.name for s in scorers)
    sys.stderr.write(f"evalkit: evaluating {data} with {len(scorers)} scorer(s): {names}\n")
    if args.dry_run:
        usage = evalkit.estimate(dataset, scorers, _not_loaded if predict else None)
        if args.json:
            output.print_json({"estimate": usage})
        else:
            output.console().print(f"Estimate (nothing was called): {output.usage_line(usage)}")
        return EXIT_OK
    predict_fn = resolve_predict_fn(predict) if predict else None
    tracking = store.tracking()
    if name:
        tracking.set_experiment(name)
    kwargs: dict[str, Any] = {
        "max_workers": args.max_workers or config.get("max_workers"),
        "cache": args.cache or config.get("cache"),
        "max_cost": args.max_cost if args.max_cost is not None else config.get("max_cost"),
        "retry_errors": args.retry_errors,
    }
    for key in ("rate_limits", "deployments", "judge_mode"):  # evaluate() checks them
        if config.get(key) is not None:
            kwargs[key] = config.get(key)
    if args.judge_mode:
        kwargs["judge_mode"] = args.judge_mode
    if args.resume:
        kwargs["resume"] = store.resolve_run_id(args.resume, name)
    if args.chunk_size is not None:
        kwargs["chunk_size"] = args.chunk_size
    client = None
    if args.cluster or args.workers is not None:
        from evalkit.engine.executors import connect_dask

        # a scheduler that does not answer is an error here, before any work
        client = kwargs["executor"] = connect_dask(args.cluster, workers=args.workers)
    try:
        if args.run_name:
            with tracking.start_run(run_name=args.run_name):
                result = evalkit.evaluate(dataset, scorers, predict_fn, **kwargs)
        else:
            result = evalkit.evaluate(dataset, scorers, predict_fn, **kwargs)
    except KeyboardInterrupt:
        sys.stderr.write(
            "evalkit: interrupted; the rows scored so far are kept: run the same command "
            "with --resume latest to score the rest\n"
        )
        return EXIT_INTERRUPTED
    finally:
        if client is not None:
            cluster = client.cluster if args.cluster is None else None
            client.close()
            if cluster is not None:
                cluster.close()
    limit = args.max_error_rate
    if limit is None:
        limit = config.get("max_error_rate", DEFAULT_MAX_ERROR_RATE)
    failures = _too_many_errors(error_rates(result), limit)
    _print_result(args, data, result, failures)
    if args.report:
        from evalkit.report import ReportRun, render_report

        report_run = ReportRun(
            run_id=result.run_id or "(not logged)",
            name=args.run_name,
            metrics=result.metrics,
            table=result.tables["eval_results_table"],
            params={"dataset": data, "scorers": names},
        )
        write_file(Path(args.report), render_report(report_run))
    for failure in failures:
        sys.stderr.write(f"evalkit: failed: {failure}\n")
    return EXIT_CHECK_FAILED if failures else EXIT_OK


def _print_result(
    args: argparse.Namespace, data: str, result: EvaluationResult, failures: list[str]
) -> None:
    rows, table = _summary_table(result)
    if args.json:
        output.print_json(
            {
                "run_id": result.run_id,
                "rows": rows,
                "metrics": result.metrics,
                "usage": result.usage,
                "failed": failures,
            }
        )
        return
    out = output.console()
    output.print_summary(out, result.metrics, f"{data}: {rows} rows")
    output.print_errors(out, table)
    if result.usage.get("judge_calls"):
        out.print(f"Judges: {output.usage_line(result.usage)}")
    if result.run_id:
        out.print(output.where_to_look(result.run_id, store.tracking_uri()))
        out.print(f"Run id: {result.run_id}")  # last: scripts read it from the last line
    else:
        out.print("Not logged.")
