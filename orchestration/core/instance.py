"""The Dagster instance home: $DAGSTER_HOME (default ./var/dagster_home) with our dagster.yaml.

The home's dagster.yaml is ours while it starts with the template's first line: it is then kept
equal to orchestration/core/dagster.yaml (edit that file). A home whose dagster.yaml was written by
hand (another first line) is left alone."""

from __future__ import annotations

import os
from pathlib import Path

TEMPLATE = Path(__file__).with_name("dagster.yaml")


def render_template(home: Path) -> str:
    """Our dagster.yaml for this home (the event log's folder is an absolute path in it)."""
    return TEMPLATE.read_text().replace("{dagster_home}", str(home.resolve()))


def ensure_dagster_home() -> Path:
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(Path("var/dagster_home").resolve())))
    home.mkdir(parents=True, exist_ok=True)
    target, template = home / "dagster.yaml", render_template(home)
    current = target.read_text() if target.exists() else None
    if current is None or (current != template and current.splitlines()[:1] == template.splitlines()[:1]):
        target.write_text(template)
    return home
