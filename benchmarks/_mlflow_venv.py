"""MLflow in a throwaway virtual environment, for benchmarks that compare with it.

MLflow is never a dependency of evalkit: a benchmark that measures it next to evalkit calls
:func:`mlflow_python`, which creates the environment once (default
``/tmp/evalkit-mlflow-venv``), installs what is asked with pip from the package index this
machine uses, and reuses it afterwards. Without access to a package index the install fails;
the caller then says so and measures evalkit alone.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

DEFAULT_VENV = Path("/tmp/evalkit-mlflow-venv")


def mlflow_python(
    venv: Path = DEFAULT_VENV,
    *,
    packages: Sequence[str] = ("mlflow",),
    check: str = "import mlflow.genai",
) -> Path | None:
    """The venv's interpreter once ``check`` runs there, installing ``packages`` when not.

    Args:
        venv: The environment's folder (created when missing).
        packages: What ``pip install`` gets when ``check`` fails.
        check: Python that succeeds once everything needed is installed.

    Returns:
        The interpreter, or ``None`` (after saying why) when the install failed.
    """
    python = venv / "bin" / "python"
    probe = [str(python), "-c", check]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    print(
        f"installing {' '.join(packages)} into {venv} (once; never a dependency of evalkit) ...",
        flush=True,
    )
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *packages], check=True)
        subprocess.run(probe, check=True, capture_output=True)
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"  could not install them ({exc}); measuring evalkit alone")
        return None
    return python
