"""The Dagster instance home: $DAGSTER_HOME (default ./var/dagster_home) with our dagster.yaml."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

TEMPLATE = Path(__file__).with_name("dagster.yaml")


def ensure_dagster_home() -> Path:
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(Path("var/dagster_home").resolve())))
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copyfile(TEMPLATE, home / "dagster.yaml")
    return home
