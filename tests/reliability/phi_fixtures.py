"""Fixtures of the PHI hygiene tests (test_phi.py; `phi_` prefix).

Their code lives here, not in tests/reliability/conftest.py, so that the conftest of the fault
tests stays theirs; the conftest only imports them (a test module that imported them would
shadow them with its test parameters, ruff F811). The run itself is the session's first run
(tests/conftest.py `first_run_capture`).
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def phi_run(clinic, first_run_capture):
    """The session's first daily run on the sample clinic (tests/conftest.py: 150 guarantors,
    seed 11, every defect; no SendGrid key, no pay-link secret), with every Python log record
    (DEBUG and up) and every Dagster event-log entry kept for the PHI scan. The e2e modules read
    the same run; what they do afterwards (a re-run of the date, copies of the warehouse) writes
    no new outbox file and leaves the logs scanned here as they were."""
    root = clinic["root"]
    return {
        "root": root,
        "landing": root / "landing",
        "outbox": root / "outbox",
        "serving": root / "serving",
        "warehouse": root / "warehouse.duckdb",
        **first_run_capture,
    }


@pytest.fixture(scope="session")
def phi_values(phi_run) -> dict[str, set[str]]:
    """The clinic's own personal values, by kind, read from its landing files."""
    import csv

    out: dict[str, set[str]] = {k: set() for k in ("name", "dob", "address", "phone", "email")}
    for path in sorted((phi_run["landing"] / "pm").glob("guarantors*.csv")):
        with path.open(newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                for col, kind in (
                    ("first_name", "name"),
                    ("last_name", "name"),
                    ("date_of_birth", "dob"),
                    ("address_line1", "address"),
                    ("address_line2", "address"),
                    ("phone", "phone"),
                    ("email", "email"),
                ):
                    v = (row.get(col) or "").strip()
                    if v:
                        out[kind].add(v)
    return out


def phi_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
