"""A progress bar on a terminal for runs that take more than a moment, silent otherwise."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_SHOW_AFTER_SECONDS = 1.0


@contextmanager
def progress_bar(
    total: int | None, *, enabled: bool | None, description: str = "Evaluating"
) -> Iterator[Callable[[int], None] | None]:
    """Yield a thread-safe ``tick(n)`` that advances a tqdm bar, or ``None`` when hidden.

    ``enabled=None`` shows the bar only when stderr is a terminal, and only once the run has
    lasted :data:`_SHOW_AFTER_SECONDS`; ``True``/``False`` force it.
    """
    if enabled is False or total == 0 or (enabled is None and not sys.stderr.isatty()):
        yield None
        return
    from tqdm.auto import tqdm

    bar = tqdm(
        total=total,
        desc=description,
        unit="score",
        delay=0 if enabled else _SHOW_AFTER_SECONDS,
        leave=False,
        dynamic_ncols=True,
    )
    lock = threading.Lock()

    def tick(n: int) -> None:
        with lock:
            bar.update(n)

    try:
        yield tick
    finally:
        bar.close()
