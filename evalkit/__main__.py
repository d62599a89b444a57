"""``python -m evalkit``: the ``evalkit`` command."""

import os
import sys

# `python -m` puts the current directory first on sys.path; a project file named like an
# installed library (tenacity.py) would then replace it. The project's own modules stay
# importable: evalkit.cli.scorers appends the directory when it loads project code.
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from evalkit.cli import main

raise SystemExit(main())
