"""evalkit against MLflow, side by side: 200 rows x 3 built-in judges, same server, same run.

Both evaluate the same records with Correctness, RelevanceToQuery and Safety (MLflow's
``mlflow.genai.scorers`` built-ins and evalkit's) against one evalkit.testing JudgeServer
answering after 100 ms, started in its own process. Each side runs in a fresh interpreter,
10 judge calls in flight (MLflow's default ``MLFLOW_GENAI_EVAL_MAX_WORKERS``; evalkit's
``max_workers``/``max_concurrent_calls``), call cache off. Two numbers per side: the
``evaluate`` call alone, and the whole process (interpreter start, imports, evaluate).

MLflow is never a dependency of evalkit: it is installed, once, into a throwaway virtual
environment (``--venv``, default ``/tmp/evalkit-mlflow-venv``) with ``pip install mlflow``
when it is missing there. Without network access that install fails; the script then says
so and prints evalkit's numbers alone.

Target: evalkit >= 5x faster than MLflow end to end.

Usage: python benchmarks/mlflow_judges.py [--rows 200] [--latency 0.1] [--venv DIR]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _mlflow_venv import DEFAULT_VENV, mlflow_python  # noqa: E402

from evalkit.testing import JudgeServer  # noqa: E402
from evalkit.testing.server import RecordedRequest  # noqa: E402

DATA = """
ROWS = int(sys.argv[1])
data = [
    {
        "inputs": {"question": f"What is {i} + {i}?"},
        "outputs": f"{i} + {i} is {2 * i}.",
        "expectations": {"expected_response": f"{i} + {i} is {2 * i}."},
    }
    for i in range(ROWS)
]
"""

MLFLOW = (
    """
import json, sys, time
started = time.perf_counter()
import mlflow
from mlflow.genai.scorers import Correctness, RelevanceToQuery, Safety
"""
    + DATA
    + """
model = "openai:/gpt-4.1-mini"
scorers = [Correctness(model=model), RelevanceToQuery(model=model), Safety(model=model)]
begun = time.perf_counter()
result = mlflow.genai.evaluate(data=data, scorers=scorers)
done = time.perf_counter()
metrics = {k: v for k, v in result.metrics.items() if isinstance(v, (int, float))}
print(json.dumps({"evaluate": done - begun, "process": done - started, "metrics": metrics}))
"""
)

EVALKIT = (
    """
import json, sys, time
started = time.perf_counter()
import evalkit
from evalkit.judges import Correctness, RelevanceToQuery, Safety
"""
    + DATA
    + """
model = "openai:/gpt-4.1-mini"
scorers = [Correctness(model=model), RelevanceToQuery(model=model), Safety(model=model)]
begun = time.perf_counter()
result = evalkit.evaluate(
    data=data, scorers=scorers, max_workers=10, max_concurrent_calls=10, cache="off",
    progress=False,
)
done = time.perf_counter()
print(json.dumps({"evaluate": done - begun, "process": done - started,
                  "metrics": result.metrics, "litellm": "litellm" in sys.modules}))
"""
)


def reply(request: RecordedRequest) -> dict[str, str]:
    """A verdict both frameworks accept for every judge (``yes``, with a rationale)."""
    return {"result": "yes", "rationale": "Meets the criterion."}


def _serve(latency: float, conn: Any) -> None:
    with JudgeServer(default_reply=reply, latency=latency) as server:
        conn.send(server.url)
        conn.recv()
        conn.send(server.request_count)


def _run(python: str, code: str, rows: int, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [python, "-c", code, str(rows)], capture_output=True, text=True, env=env, timeout=3600
    )
    if done.returncode != 0:
        raise SystemExit(f"{python} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    args = parser.parse_args()

    mlflow = mlflow_python(args.venv)
    parent, child = mp.Pipe()
    server = mp.get_context("fork").Process(target=_serve, args=(args.latency, child))
    server.start()
    url = parent.recv()
    with tempfile.TemporaryDirectory(prefix="evalkit-vs-mlflow-") as tmp:
        env = dict(os.environ)
        env.update(
            OPENAI_BASE_URL=url,
            OPENAI_API_BASE=url,
            OPENAI_API_KEY="sk-evalkit-benchmark",
            PYTHONPATH=str(ROOT),
            EVALKIT_TRACKING_URI=str(Path(tmp) / "evalkit"),
            MLFLOW_TRACKING_URI=f"sqlite:///{tmp}/mlflow.db",
            MLFLOW_GENAI_EVAL_MAX_WORKERS="10",
            LITELLM_LOCAL_MODEL_COST_MAP="True",
        )
        ours = _run(sys.executable, EVALKIT, args.rows, env)
        theirs = _run(str(mlflow), MLFLOW, args.rows, env) if mlflow else None
    parent.send("done")
    served = parent.recv()
    server.join()

    calls = args.rows * 3
    ideal = calls * args.latency / 10
    print(
        f"{args.rows} rows x 3 built-in judges = {calls} calls, {args.latency * 1e3:.0f} ms "
        f"latency, 10 in flight; ideal {ideal:.2f} s; server answered {served} requests"
    )
    print(f"  evalkit: evaluate {ours['evaluate']:6.2f} s, process {ours['process']:6.2f} s")
    print(f"           litellm imported: {ours['litellm']}")
    if theirs is None:
        print("  MLflow : not measured (could not be installed here)")
        return
    print(f"  MLflow : evaluate {theirs['evaluate']:6.2f} s, process {theirs['process']:6.2f} s")
    print(
        f"  ratio (MLflow / evalkit): evaluate {theirs['evaluate'] / ours['evaluate']:.1f}x, "
        f"process {theirs['process'] / ours['process']:.1f}x  (target >= 5x)"
    )
    keys = sorted(k for k in theirs["metrics"] if k.endswith("/mean"))
    print("  MLflow metrics :", {k: theirs["metrics"][k] for k in keys})
    keys = sorted(k for k in ours["metrics"] if k.endswith("/mean"))
    print("  evalkit metrics:", {k: ours["metrics"][k] for k in keys})


if __name__ == "__main__":
    main()
