"""Helpers shared by the loader tests and the bad-input catalogue (tests/reliability)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from orchestration.policy.policy import load_policy
from orchestration.raw.ingest import IngestReport, ingest

TODAY = date(2026, 11, 27)


def write(root: Path, rel: str, text: str | bytes) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


def run(con, root: Path) -> IngestReport:
    """The real ingest step on a landing folder, as the daily job runs it."""
    return ingest(con, root, load_policy(), today=TODAY, as_of=TODAY, run_id="r")


def rejects(con) -> list[tuple]:
    return con.execute(
        "SELECT file_name, line_number, column_name, reason FROM raw.load_rejects "
        "ORDER BY file_name, line_number, column_name"
    ).fetchall()


def ledger(con, name: str) -> tuple | None:
    return con.execute(
        "SELECT status, reason, rows_loaded, rows_rejected, warnings, extra_columns "
        "FROM raw.file_ledger WHERE file_name = ? ORDER BY loaded_at DESC",
        [name],
    ).fetchone()
