"""The Dagster instance home: $DAGSTER_HOME (default ./var/dagster_home) with our dagster.yaml.

The home's dagster.yaml is ours while it starts with the template's first line: it is then kept
equal to orchestration/dagster.yaml (edit that file). A home whose dagster.yaml was written by
hand (another first line) is left alone."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

TEMPLATE = Path(__file__).with_name("dagster.yaml")


def ensure_dagster_home() -> Path:
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(Path("var/dagster_home").resolve())))
    home.mkdir(parents=True, exist_ok=True)
    target, template = home / "dagster.yaml", TEMPLATE.read_text()
    current = target.read_text() if target.exists() else None
    if current is None or (current != template and current.splitlines()[:1] == template.splitlines()[:1]):
        shutil.copyfile(TEMPLATE, target)
    return home
