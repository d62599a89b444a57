"""Every accepted data shape, turned into validated rows before any work starts.

The bottom layer: it imports nothing of evalkit but :mod:`evalkit.errors` (and tracing, for
``trace`` cells). Stored datasets reach it as a :class:`RecordSource`.

Accepted ``data``: a list of dicts, a pandas DataFrame, a dict of columns
(``{"inputs": [...], "ground_truth": [...]}``), a path to a ``.jsonl``, ``.json``,
``.csv`` or ``.parquet`` file, or an :class:`~evalkit.EvaluationDataset`; or traces: a list
of :class:`~evalkit.Trace` or :func:`evalkit.search_traces`'s DataFrame (a row with
``trace_id`` and ``trace`` columns is read from its trace alone; see :mod:`.traces`).

Columns of a record:

* ``inputs`` (required): a dict of the app's inputs. A bare string ``s`` means
  ``{"question": s}``. With a ``predict_fn`` it must be a dict: its keys are the
  function's keyword arguments.
* ``outputs``: what the app answered (any JSON-like value).
* ``expectations``: a dict of ground truth. A bare value ``v`` means
  ``{"expected_response": v}``.
* ``trace``: an :class:`evalkit.Trace`, or its dict/JSON form (``Trace.to_dict()``). A
  record with a trace needs nothing else: missing inputs and outputs are the root span's,
  missing expectations the trace's expectation assessments. A trace whose every span names
  a missing parent (no root) and no inputs is a ``DataError`` naming the row.
* ``tags`` (a dict of strings).
* ``session_id``: the conversation the record is a turn of (default: the trace's
  ``mlflow.trace.session`` metadata); records sharing one are scored together by
  session-level scorers.

MLflow's aliases are understood: ``request`` for ``inputs``, ``response`` for ``outputs``,
``ground_truth`` and ``expected_response`` for ``expectations["expected_response"]``. In
tabular files, a column ``inputs.question`` fills ``inputs["question"]`` and cells of
``inputs``/``outputs``/``expectations``/``tags``/``trace`` holding JSON are parsed. Text files
are UTF-8 (a byte-order mark is fine); a malformed file is a ``DataError`` naming the file and
the line (see :mod:`evalkit.data.files`).

Modules: :mod:`.files` (data files -> record dicts), :mod:`.records` (every shape -> record
dicts), :mod:`.rows` (record dicts -> validated :class:`EvalRow`), :mod:`.values` (cells),
:mod:`.traces` (reading a trace's root, session and expectations).
"""

from evalkit.data.files import FILE_SUFFIXES, read_file
from evalkit.data.records import RecordSource, records_from
from evalkit.data.rows import COLUMNS, EvalRow, normalize_data

__all__ = [
    "COLUMNS",
    "FILE_SUFFIXES",
    "EvalRow",
    "RecordSource",
    "normalize_data",
    "read_file",
    "records_from",
]
