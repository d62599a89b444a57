"""How much logging to the tracking store adds to evaluate() on 100,000 rows.

Run: .venv/bin/python benchmarks/tracking_overhead.py [rows]
Prints evaluate() with log=False and log=True, measured side by side in one run (best of
3 each, alternating), their ratio, and the logging step alone (best of 3) on the same
result, which is steadier on a busy machine. The store is a temporary SQLite folder.
"""

from __future__ import annotations

import sys
import tempfile
import time

import evalkit
from evalkit.tracking.evaluation import open_evaluation_log


@evalkit.scorer
def exact_match(outputs, expectations) -> bool:
    return outputs == expectations["expected_response"]


def main(n: int) -> None:
    data = [
        {
            "inputs": {"question": f"q{i}"},
            "outputs": f"a{i % 7}",
            "expectations": {"expected_response": f"a{i % 5}"},
        }
        for i in range(n)
    ]
    with tempfile.TemporaryDirectory() as store:
        evalkit.set_tracking_uri(store)
        evalkit.evaluate(data=data[:100], scorers=[exact_match])  # warm up, create the store
        times: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(3):
            for log in (False, True):
                start = time.perf_counter()
                evalkit.evaluate(data=data, scorers=[exact_match], log=log, progress=False)
                times[log].append(time.perf_counter() - start)
        result = evalkit.evaluate(data=data, scorers=[exact_match], log=False, progress=False)
        alone = []
        for _ in range(3):
            logger = open_evaluation_log()
            start = time.perf_counter()
            logger.log(result, [exact_match], data=data)
            alone.append(time.perf_counter() - start)
    off, on = min(times[False]), min(times[True])
    print(f"rows: {n}")
    print(f"evaluate(log=False): {off:.3f} s")
    print(f"evaluate(log=True):  {on:.3f} s")
    print(f"ratio log=True / log=False = {on / off:.2f}")
    print(f"logging step alone (table artifact, params, metrics, input): {min(alone):.3f} s")
    print(f"logging step / evaluate(log=False) = {min(alone) / off:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
