"""Judges aligned with people: agreement with human labels, and ``judge.align(labeled)``.

:func:`agreement` runs a judge on records people have labelled and reports how often it
agrees with them (accuracy, Cohen's kappa and the confusion matrix, from scikit-learn).
:func:`align` (also ``judge.align(labeled)``, MLflow's name) improves a :func:`make_judge`
judge: it splits the labelled records into a training part and a held-out part, shows the
judge the training records it got wrong as few-shot examples (and, with ``rewrite_model``,
asks that model to rewrite the instructions from them), and keeps the change only if the
judge then agrees with people more often on the held-out records. Before and after are
reported either way (``aligned.alignment``).

Labelled records are dicts with the fields the judge reads (``inputs``, ``outputs``,
``expectations``, ``trace``) and the human verdict under ``"label"`` (or, as in MLflow, an
expectation named after the judge: ``expectations[<judge name>]``). Labels must be values
of the judge's ``feedback_value_type``; one that is not fails before any model call.

Model calls: :func:`agreement` makes one judge call per record; :func:`align` one per
training record, two per held-out record (before and after) and, with ``rewrite_model``,
one more. :func:`estimate_alignment` counts them (tokens and cost) without sending any;
``max_cost`` stops an alignment that would pay more.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import json
import random
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal, get_args, get_origin

from evalkit.entities import Feedback
from evalkit.errors import UsageError

if TYPE_CHECKING:
    from evalkit.judges.base import Judge
    from evalkit.judges.instructions import InstructionsJudge

__all__ = [
    "AgreementReport",
    "AlignmentReport",
    "agreement",
    "align",
    "estimate_alignment",
    "labeled_records",
]

_FIELDS = ("inputs", "outputs", "expectations", "trace")
_YES_NO = Literal["yes", "no"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class AgreementReport:
    """How often a judge agrees with people on labelled records."""

    n: int
    """Records with both a label and a judge verdict."""
    accuracy: float
    """Share of those records where the judge's verdict equals the label (NaN when n = 0)."""
    cohen_kappa: float
    """Cohen's kappa between judge and people: agreement beyond chance (1 perfect, 0 chance;
    NaN when it is undefined, e.g. every label and verdict is one value)."""
    labels: tuple[Any, ...]
    """The values in the order of the confusion matrix's rows and columns."""
    confusion_matrix: tuple[tuple[int, ...], ...]
    """``confusion_matrix[i][j]``: records labelled ``labels[i]`` the judge called ``labels[j]``."""
    error_count: int
    """Records the judge gave no verdict for (a failed call, an unreadable answer)."""
    disagreements: tuple[int, ...]
    """Positions (in the labelled records) where the judge disagreed with the label."""
    verdicts: tuple[Any, ...]
    """The judge's verdict for each record (``None`` where it failed)."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class AlignmentReport:
    """What :func:`align` tried and what it measured."""

    before: AgreementReport
    """The original judge on the held-out records."""
    after: AgreementReport
    """The candidate (examples, maybe rewritten instructions) on the held-out records."""
    improved: bool
    """Whether the candidate agreed more often (higher accuracy) and was kept."""
    examples: int
    """Few-shot examples the candidate was given (training records the judge got wrong)."""
    rewritten: bool
    """Whether the candidate's instructions were rewritten by ``rewrite_model``."""
    train_size: int
    """Labelled records used to choose the examples."""
    holdout_size: int
    """Labelled records held out to measure before and after."""


def _value_type(judge: Judge) -> Any:
    return getattr(judge, "feedback_value_type", _YES_NO)


def _check_label(label: Any, value_type: Any, where: str, judge: str) -> Any:
    """``label`` when it is a value of ``value_type``, else a UsageError naming the row."""
    ok: bool
    if get_origin(value_type) is Literal:
        choices = get_args(value_type)
        ok = any(label == c and type(label) is type(c) for c in choices)
        allowed = ", ".join(json.dumps(c) for c in choices)
    elif value_type is bool:
        ok, allowed = isinstance(label, bool), "true or false"
    elif value_type is int:
        ok, allowed = isinstance(label, int) and not isinstance(label, bool), "a whole number"
    elif value_type is float:
        ok = isinstance(label, int | float) and not isinstance(label, bool)
        allowed = "a number"
    else:
        ok, allowed = isinstance(label, str), "a string"
    if not ok:
        raise UsageError(
            f"{where}: label {label!r} is not a verdict judge {judge!r} can give "
            f"({allowed}); fix the label or use a judge with a matching feedback_value_type"
        )
    return label


def labeled_records(judge: Judge, labeled: Any) -> list[tuple[dict[str, Any], Any]]:
    """``(fields, label)`` per labelled record, checked against the judge (no model call).

    Args:
        judge: The judge the labels are for.
        labeled: A list of dicts (or a pandas DataFrame) with the judge's fields and a
            ``"label"`` (or ``expectations[<judge name>]``).

    Raises:
        UsageError: No records, a record without a label or a field the judge needs, or a
            label that is not a value of the judge's ``feedback_value_type``.
    """
    if hasattr(labeled, "to_dict") and hasattr(labeled, "columns"):
        labeled = labeled.to_dict("records")
    if isinstance(labeled, Mapping) or not isinstance(labeled, Sequence) or not labeled:
        raise UsageError(
            "labels must be a non-empty list of records (dicts with inputs/outputs/... and a "
            f"'label'), got {type(labeled).__name__}"
        )
    value_type = _value_type(judge)
    out: list[tuple[dict[str, Any], Any]] = []
    for i, record in enumerate(labeled):
        where = f"labels[{i}]"
        if not isinstance(record, Mapping):
            raise UsageError(f"{where} is a {type(record).__name__}; give a dict per record")
        if "label" in record:
            label = record["label"]
        else:
            exp = record.get("expectations")
            if not isinstance(exp, Mapping) or judge.name not in exp:
                raise UsageError(
                    f"{where} has no 'label' (nor expectations[{judge.name!r}]); add the "
                    "human verdict to every record"
                )
            label = exp[judge.name]
        fields = {f: record.get(f) for f in judge.arguments}
        missing = [f for f in judge.required_arguments if fields.get(f) is None]
        if missing:
            raise UsageError(
                f"{where} has no {', '.join(map(repr, missing))}, which judge {judge.name!r} "
                "reads; add it to the record"
            )
        out.append((fields, _check_label(label, value_type, where, judge.name)))
    return out


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


def _verdicts(judge: Judge, records: Sequence[Mapping[str, Any]], max_workers: int) -> list[Any]:
    """The judge's verdict per record (``None`` where it failed), in order."""

    def one(fields: Mapping[str, Any]) -> Any:
        try:
            fb = judge(**fields)
        except Exception:
            return None
        if isinstance(fb, Feedback):
            return None if fb.error is not None else fb.value
        return fb

    if max_workers <= 1 or len(records) <= 1:
        return [one(r) for r in records]
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="evalkit-align") as pool:
        futures = [pool.submit(contextvars.copy_context().run, one, r) for r in records]
        return [f.result() for f in futures]


def _report(verdicts: Sequence[Any], labels: Sequence[Any]) -> AgreementReport:
    import math

    from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix

    pairs = [
        (i, _key(v), _key(lab))
        for i, (v, lab) in enumerate(zip(verdicts, labels, strict=True))
        if v is not None
    ]
    errors = len(verdicts) - len(pairs)
    values: dict[str, Any] = {}
    for v, lab in zip(verdicts, labels, strict=True):
        values.setdefault(_key(lab), lab)
        if v is not None:
            values.setdefault(_key(v), v)
    order = sorted(values)
    disagreements = tuple(i for i, v, lab in pairs if v != lab)
    if not pairs:
        nan = math.nan
        return AgreementReport(
            n=0,
            accuracy=nan,
            cohen_kappa=nan,
            labels=tuple(values[k] for k in order),
            confusion_matrix=(),
            error_count=errors,
            disagreements=(),
            verdicts=tuple(verdicts),
        )
    judged = [v for _, v, _ in pairs]
    truth = [lab for _, _, lab in pairs]
    import warnings

    with warnings.catch_warnings():
        # one value everywhere: sklearn warns; kappa is then undefined (NaN, below)
        warnings.simplefilter("ignore")
        accuracy = float(accuracy_score(truth, judged))
        kappa = (
            math.nan
            if len(set(judged) | set(truth)) < 2
            else float(cohen_kappa_score(truth, judged))
        )
        matrix = confusion_matrix(truth, judged, labels=order)
    return AgreementReport(
        n=len(pairs),
        accuracy=accuracy,
        cohen_kappa=kappa,
        labels=tuple(values[k] for k in order),
        confusion_matrix=tuple(tuple(int(x) for x in row) for row in matrix),
        error_count=errors,
        disagreements=disagreements,
        verdicts=tuple(verdicts),
    )


def agreement(judge: Judge, labels: Any, *, max_workers: int = 4) -> AgreementReport:
    """How often ``judge`` agrees with people: accuracy, Cohen's kappa, confusion matrix.

    Args:
        judge: Any judge (``make_judge`` or built-in).
        labels: Labelled records: dicts with the judge's fields and a ``"label"`` (or
            ``expectations[<judge name>]``), or a DataFrame of them.
        max_workers: Judge calls in flight at once.

    Returns:
        The :class:`AgreementReport`; records the judge failed on are counted in
        ``error_count`` and left out of the measures.

    Raises:
        UsageError: A record has no label, lacks a field the judge reads, or has a label the
            judge cannot give (checked before any model call).

    Example:
        >>> report = evalkit.judges.agreement(judge, [
        ...     {"inputs": "2+2?", "outputs": "4", "label": "yes"}, ...])
        >>> report.accuracy, report.cohen_kappa
    """
    records = labeled_records(judge, labels)
    verdicts = _verdicts(judge, [f for f, _ in records], max_workers)
    return _report(verdicts, [lab for _, lab in records])


_EXAMPLES_HEADER = (
    "Examples of records people have labelled, with the verdict they gave; judge new "
    "records the same way."
)


def render_examples(judge: InstructionsJudge) -> str:
    """The few-shot examples a judge appends to its task (evaluated text fenced as data)."""
    from evalkit.judges.templates import fence

    if not judge.examples:
        return ""
    parts = [_EXAMPLES_HEADER]
    for n, (fields, label) in enumerate(judge.examples, start=1):
        lines = [f"Example {n}:"]
        for name in judge.template_variables:
            if fields.get(name) is not None:
                lines.append(f"{name}: {fence(fields[name])}")
        lines.append(f"Correct result: {json.dumps(label)}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


_REWRITE = """You improve the instructions of an LLM judge. The judge disagreed with people \
on the records below. Rewrite the instructions so that a judge following them would give \
the people's verdicts. Keep every Jinja2 variable the instructions use ({variables}) and \
add no new one. Reply with one JSON object: {{"rationale": "<what you changed>", \
"result": "<the new instructions>"}}.

Instructions:
{instructions}

Records the judge got wrong:
{examples}"""


def _rewrite(
    judge: InstructionsJudge, examples: list[tuple[dict[str, Any], Any]], model: str
) -> str | None:
    """New instructions from ``model``, or ``None`` when its answer is unusable."""
    from evalkit.judges.base import CallSettings, assess
    from evalkit.judges.templates import Template, fence

    shown = dataclasses.replace(judge, examples=tuple(examples))
    task = _REWRITE.format(
        variables=", ".join("{{ %s }}" % v for v in judge.template_variables),  # noqa: UP031
        instructions=fence(judge.instructions),
        examples=render_examples(shown),
    )
    fb = assess(task, str, name=f"{judge.name}/rewrite", settings=CallSettings(model=model))
    if fb.error is not None or not isinstance(fb.value, str) or not fb.value.strip():
        return None
    try:
        template = Template(fb.value, owner=f"judge {judge.name!r} (rewritten)")
    except Exception:
        return None
    if set(template.variables) != set(judge.template_variables):
        return None
    return fb.value


def _split(n: int, holdout: float, seed: int) -> tuple[list[int], list[int]]:
    order = list(range(n))
    random.Random(seed).shuffle(order)
    n_holdout = max(1, round(n * holdout))
    if n - n_holdout < 1:
        raise UsageError(
            f"align() needs at least 2 labelled records (some to learn from, some held out); "
            f"got {n}"
        )
    return sorted(order[n_holdout:]), sorted(order[:n_holdout])


@contextlib.contextmanager
def _budget(max_cost: float | None, dry_run: bool) -> Iterator[Any]:
    from evalkit.llm import call_scope
    from evalkit.llm.scope import cache_mode

    if max_cost is None and not dry_run:
        yield None
        return
    # the cache mode in effect stays (outside evaluate(): EVALKIT_CACHE, default off)
    with call_scope(cache=cache_mode(), max_cost=max_cost, dry_run=dry_run) as scope:
        yield scope.meter


def align(
    judge: InstructionsJudge,
    labeled: Any,
    *,
    holdout: float = 0.3,
    max_examples: int = 4,
    rewrite_model: str | None = None,
    seed: int = 0,
    max_workers: int = 4,
    max_cost: float | None = None,
) -> InstructionsJudge:
    """Improve ``judge`` from human labels; keep the change only if held-out agreement rises.

    Args:
        judge: A :func:`~evalkit.judges.make_judge` judge.
        labeled: Labelled records, as for :func:`agreement`.
        holdout: Share of the records held out to measure before and after (0 < it < 1).
        max_examples: The most few-shot examples (training records the judge got wrong).
        rewrite_model: A model URI that also rewrites the instructions from those records;
            ``None``: examples only.
        seed: Seeds the split into training and held-out records.
        max_workers: Judge calls in flight at once.
        max_cost: Stop starting model calls once this many USD have been paid.

    Returns:
        The judge to use: the candidate when it agreed more often on the held-out records,
        else ``judge`` itself (a copy). Either way ``result.alignment`` is the
        :class:`AlignmentReport` with before and after.

    Raises:
        UsageError: Bad arguments or labels (before any model call).
    """
    if not 0.0 < holdout < 1.0:
        raise UsageError(f"holdout must be between 0 and 1 (exclusive), got {holdout!r}")
    if max_examples < 0:
        raise UsageError(f"max_examples must be 0 or more, got {max_examples!r}")
    records = labeled_records(judge, labeled)
    train, held = _split(len(records), holdout, seed)
    if rewrite_model is not None:
        from evalkit.llm.models import parse_model_uri

        parse_model_uri(rewrite_model)
    with _budget(max_cost, False):
        train_verdicts = _verdicts(judge, [records[i][0] for i in train], max_workers)
        train_report = _report(train_verdicts, [records[i][1] for i in train])
        chosen = [records[train[i]] for i in train_report.disagreements][:max_examples]
        candidate = dataclasses.replace(judge, examples=(*judge.examples, *chosen))
        rewritten = False
        if rewrite_model is not None and chosen:
            instructions = _rewrite(judge, chosen, rewrite_model)
            if instructions is not None:
                candidate = dataclasses.replace(candidate, instructions=instructions)
                rewritten = True
        labels = [records[i][1] for i in held]
        fields = [records[i][0] for i in held]
        before = _report(_verdicts(judge, fields, max_workers), labels)
        after = _report(_verdicts(candidate, fields, max_workers), labels)
    improved = (after.n > 0 and before.n == 0) or (after.n > 0 and after.accuracy > before.accuracy)
    kept = candidate if improved else dataclasses.replace(judge)
    kept.alignment = AlignmentReport(
        before=before,
        after=after,
        improved=improved,
        examples=len(chosen),
        rewritten=rewritten,
        train_size=len(train),
        holdout_size=len(held),
    )
    return kept


def estimate_alignment(
    judge: InstructionsJudge,
    labeled: Any,
    *,
    holdout: float = 0.3,
    rewrite_model: str | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """The model calls, tokens and cost of ``align(judge, labeled, ...)``, counted, not sent.

    Counts the training and the held-out calls (the candidate's held-out calls as the
    original judge's: examples make its prompts somewhat longer) and, with
    ``rewrite_model``, one rewrite call.

    Returns:
        As :func:`evalkit.estimate`: ``judge_calls``, ``input_tokens``, ``output_tokens``,
        ``cost``, ...
    """
    if not 0.0 < holdout < 1.0:
        raise UsageError(f"holdout must be between 0 and 1 (exclusive), got {holdout!r}")
    records = labeled_records(judge, labeled)
    train, held = _split(len(records), holdout, seed)
    with _budget(None, True) as meter:
        _verdicts(judge, [records[i][0] for i in train], 1)
        for _ in range(2):
            _verdicts(judge, [records[i][0] for i in held], 1)
        if rewrite_model is not None:
            _rewrite(judge, [records[train[0]]], rewrite_model)
    return dict(meter.as_dict())
