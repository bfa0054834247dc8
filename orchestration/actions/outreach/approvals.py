"""The approved script library (templates/approvals.yaml): every script has an approval date;
one older than MAX_AGE_DAYS is reported so staff re-approve it. The email templates are also
scanned for words that would carry clinical detail (minimum necessary)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import yaml

TEMPLATES = Path(__file__).with_name("templates")
MAX_AGE_DAYS = 90
SCRIPTS = ("email_context", "sms_reminder", "call_opener", "statement")
CLINICAL = re.compile(r"\b(diagnos\w*|procedure|cpt|icd|treatment|prescri\w*|symptom\w*|condition)\b", re.I)


def load_approvals(path: Path = TEMPLATES / "approvals.yaml") -> dict[str, dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    scripts = data.get("scripts") or {}
    missing = [s for s in SCRIPTS if s not in scripts]
    if missing:
        raise ValueError(f"{path}: no approval recorded for {', '.join(missing)}")
    for name, entry in scripts.items():
        if not isinstance(entry.get("approved_on"), date) or not entry.get("approved_by"):
            raise ValueError(f"{path}: script {name!r} needs approved_on (YYYY-MM-DD) and approved_by")
    return scripts


def stale_scripts(today: date, scripts: dict[str, dict] | None = None) -> list[str]:
    """Scripts whose approval is older than MAX_AGE_DAYS on `today` (a warning, not a stop)."""
    scripts = scripts if scripts is not None else load_approvals()
    return sorted(n for n, e in scripts.items() if (today - e["approved_on"]).days > MAX_AGE_DAYS)


def clinical_words(folder: Path = TEMPLATES) -> dict[str, list[str]]:
    """Template files that contain a clinical word, with the words found."""
    found = {}
    for p in sorted(folder.glob("*")):
        if p.suffix in (".txt", ".html"):
            words = sorted({m.group(0).lower() for m in CLINICAL.finditer(p.read_text(encoding="utf-8"))})
            if words:
                found[p.name] = words
    return found
