"""Filling a legacy ``eval_fn``'s parameters the way ``mlflow.evaluate`` does.

For each parameter (after ``col_mapping``): ``predictions`` / the predictions column -> the
predictions; ``targets`` / the targets column -> the targets; ``metrics`` -> the metric
values computed so far; a data column; another model output column; an
``evaluator_config`` entry; the value of another metric of that name; else its default.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Arg", "LegacyContext", "aggregate_keys", "plan_arguments"]


def aggregate_keys(values: Mapping[str, Any]) -> dict[str, float]:
    """MLflow's result keys: ``<metric>/<aggregation>``, or ``<metric>`` for an aggregation
    named like the metric (``exact_match/v1``, ``mean_absolute_error``)."""
    out: dict[str, float] = {}
    for full, value in values.items():
        for agg, number in (getattr(value, "aggregate_results", None) or {}).items():
            if number is None:
                continue
            key = full if agg == full.split("/")[0] else f"{full}/{agg}"
            out[key] = float(number)
    return out


@dataclasses.dataclass(frozen=True)
class Arg:
    """Where one argument comes from: ``kind`` and its ``key``/``value``."""

    kind: str  # predictions|targets|metrics|column|output|value|metric|eval_df|aggregates
    key: Any = None


@dataclasses.dataclass
class LegacyContext:
    """Everything an ``eval_fn`` argument can come from."""

    predictions: Any
    """The predictions, a pandas Series."""
    targets: Any
    """The targets, a pandas Series, or ``None``."""
    inputs: Any
    """The data's feature columns, a pandas DataFrame."""
    other_outputs: Mapping[str, Any]
    """Other columns the model returned, by name."""
    config: Mapping[str, Any]
    """``evaluator_config`` entries beyond ``col_mapping``/``retriever_k``."""
    col_mapping: Mapping[str, Any]
    """``evaluator_config["col_mapping"]``: parameter -> column name (or a value)."""
    predictions_name: str | None
    targets_name: str | None
    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    """MetricValues computed so far, by full metric name."""

    def metric_named(self, name: str) -> Any:
        for full, value in self.values.items():
            if full.split("/")[0] == name:
                return value
        return None

    def resolve(self, plan: list[Arg]) -> list[Any]:
        """The argument values for a plan made by :func:`plan_arguments`."""
        import pandas as pd

        out: list[Any] = []
        for arg in plan:
            if arg.kind == "predictions":
                out.append(self.predictions.copy())
            elif arg.kind == "targets":
                out.append(None if self.targets is None else self.targets.copy())
            elif arg.kind == "metrics":
                out.append(copy.deepcopy(self.values))
            elif arg.kind == "column":
                out.append(self.inputs[arg.key].copy())
            elif arg.kind == "output":
                out.append(pd.Series(self.other_outputs[arg.key], name=arg.key))
            elif arg.kind == "metric":
                out.append(self.metric_named(arg.key))
            elif arg.kind == "eval_df":
                frame = pd.DataFrame({"prediction": self.predictions.copy()})
                if self.targets is not None:
                    frame["target"] = self.targets.to_numpy()
                out.append(frame)
            elif arg.kind == "aggregates":
                out.append(aggregate_keys(self.values))
            else:
                out.append(arg.key)
        return out


def _older_form(
    fn: Callable[..., Any], names: list[str], ctx: LegacyContext, metric_names: set[str]
) -> bool:
    """Whether ``fn`` is MLflow's older ``eval_fn(eval_df, builtin_metrics)``.

    As MLflow: two parameters, not named ``predictions`` / ``targets`` -- unless the
    function is a genai metric's (its parameters are columns by definition) or a parameter
    names something that fills it (a column, a mapped name, another metric).
    """
    if len(names) != 2 or names[0] == "predictions" or names[1] == "targets":
        return False
    if callable(getattr(fn, "grade_rows", None)):
        return False
    fillable = (
        set(ctx.col_mapping)
        | {str(c) for c in ctx.inputs.columns}
        | set(ctx.other_outputs)
        | metric_names
        | {"predictions", "targets", ctx.predictions_name, ctx.targets_name}
    )
    return not any(name in fillable for name in names)


def plan_arguments(
    fn: Callable[..., Any], ctx: LegacyContext, metric_names: set[str]
) -> tuple[list[Arg], list[str], set[str]]:
    """Plan where each parameter of ``fn`` comes from.

    Returns:
        (the plan, the parameters nothing can fill, the metric names it depends on; the
        name ``"*"`` means it wants every metric computed before it).
    """
    params = list(inspect.signature(fn).parameters.values())
    names = [p.name for p in params]
    if _older_form(fn, names, ctx, metric_names):
        # MLflow's older form eval_fn(eval_df, builtin_metrics)
        return [Arg("eval_df"), Arg("aggregates")], [], {"*"}
    plan: list[Arg] = []
    missing: list[str] = []
    depends: set[str] = set()
    optional = set(getattr(fn, "optional_arguments", ()))
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name in optional and p.default is p.empty:
            p = p.replace(default=None)
        column = ctx.col_mapping.get(p.name, p.name)
        if column in ("predictions", ctx.predictions_name):
            plan.append(Arg("predictions"))
        elif column in ("targets", ctx.targets_name):
            if ctx.targets is not None:
                plan.append(Arg("targets"))
            elif p.default is p.empty:
                missing.append(p.name)
            else:
                plan.append(Arg("value", p.default))
        elif column == "metrics":
            plan.append(Arg("metrics"))
            if not callable(getattr(fn, "grade_rows", None)):  # genai metrics ignore it
                depends.add("*")
        elif not isinstance(column, str):
            plan.append(Arg("value", column))
        elif column in ctx.inputs.columns:
            plan.append(Arg("column", column))
        elif column in ctx.other_outputs:
            plan.append(Arg("output", column))
        elif column in ctx.config:
            plan.append(Arg("value", ctx.config[column]))
        elif column in metric_names:
            plan.append(Arg("metric", column))
            depends.add(column)
        elif p.default is not p.empty:
            plan.append(Arg("value", p.default))
        else:
            missing.append(p.name)
    return plan, missing, depends
