"""No outbound network in the test session (tests/conftest.py installs it for each process).

`install(log)` guards this process (an audit hook, sitecustomize.py beside this file) and every
process it starts: the folder goes first on PYTHONPATH, so the daily job started with
`python -m orchestration.run` and the `dbt` it starts load the same hook. A socket call that
would leave the machine (anything but loopback or a Unix socket, DNS look-ups of other names
included) is refused and written to the log, one line per attempt; `attempts()` reads it.
"""

from __future__ import annotations

import os
import runpy
from pathlib import Path

GUARD_DIR = Path(__file__).resolve().parent
LOG_VAR = "PYTEST_NETGUARD_LOG"


def install(log: Path) -> None:
    if os.environ.get(LOG_VAR) == str(log):
        return
    log.touch()
    os.environ[LOG_VAR] = str(log)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(GUARD_DIR)]
    os.environ["PYTHONPATH"] = os.pathsep.join([str(GUARD_DIR), *paths])
    runpy.run_path(str(GUARD_DIR / "sitecustomize.py"))  # this process too


def attempts(start: int = 0) -> list[str]:
    """The outbound attempts logged since byte `start` of the log (see `mark`)."""
    log = os.environ.get(LOG_VAR)
    if not log or not Path(log).exists():
        return []
    with open(log, encoding="utf-8") as fh:
        fh.seek(start)
        return [line for line in fh.read().splitlines() if line]


def mark() -> int:
    """Where the log ends now: `attempts(mark())` later lists only what came after."""
    log = os.environ.get(LOG_VAR)
    return Path(log).stat().st_size if log and Path(log).exists() else 0
