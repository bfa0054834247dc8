"""Spark fixtures: skip with a clear message where Java or the Spark extras are missing, and
print the measured build times at the end of the run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

TIMINGS: dict[str, float] = {}


def java_version() -> tuple[int, str] | None:
    """(major version, first line of `java -version`) of the java pyspark will start, or None."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        return None
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stderr or out.stdout).strip()
    m = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if not m:
        return None
    major = int(m.group(1)) if m.group(1) != "1" else int(m.group(2) or 0)
    return major, text.splitlines()[0]


@pytest.fixture(scope="session")
def spark_ready() -> str:
    """Skip unless Java 17+ and the Spark extras (`make install-spark`) are present."""
    found = java_version()
    if found is None:
        pytest.skip(
            "Spark tests skipped: no Java found (pyspark 4 needs Java 17 or newer on "
            "PATH or JAVA_HOME; Debian: apt-get install openjdk-17-jre-headless)"
        )
    major, line = found
    if major < 17:
        pytest.skip(f"Spark tests skipped: pyspark 4 needs Java 17 or newer, found {line!r}")
    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as exc:
        pytest.skip(
            f"Spark tests skipped: the Spark extras are not installed ({exc}); "
            "run `make test-spark` (it installs requirements-spark.lock)"
        )
    return line


@pytest.fixture(scope="session")
def build_timings() -> dict[str, float]:
    """Seconds per step, printed at the end of the run (docs/scaling.md quotes them)."""
    return TIMINGS


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.section("dbt build times on the same clinic (seconds)")
        for name, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{name:<40} {seconds:8.1f}")
