"""Load 835 remittance files into the raw.remittance_* tables.

Parsing is `orchestration.raw.x12_835` (pure); this module only moves its rows into DuckDB
and turns its verdicts into ledger outcomes: quarantine a file that cannot be read, hold an
unbalanced transaction (its row stays in raw.remittance_transactions with the reason, none
of its claims load), and record warnings.
"""

from __future__ import annotations

import pandas as pd
import duckdb

from orchestration.raw import x12_835  # noqa: F401  (parser, pure)
from orchestration.raw.files import FileOutcome, LandingFile, utcnow
from orchestration.raw.schema import ERA_TABLES


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict], extra: dict) -> None:
    if not rows:
        return
    cols = ERA_TABLES[table]
    df = pd.DataFrame([{**r, **extra} for r in rows])
    for c, _ in cols:
        if c not in df.columns:
            df[c] = None
    con.register("_era_df", df)
    casts = ", ".join(f"CAST({c} AS {t})" for c, t in cols)
    con.execute(f"INSERT INTO raw.{table} SELECT {casts} FROM _era_df")
    con.unregister("_era_df")


def load_era(con: duckdb.DuckDBPyConnection, f: LandingFile) -> FileOutcome:
    out = FileOutcome(f)
    try:
        rem = x12_835.parse_835(f.path.read_bytes())
    except x12_835.X12QuarantineError as exc:
        out.status, out.reason = "quarantined", str(exc)
        return out
    now = utcnow()
    base = {"file_sha256": f.sha256}
    _insert(con, "remittance_transactions", rem.transactions, {**base, "file_name": f.name, "loaded_at": now})
    _insert(con, "remittance_claims", rem.claims, {**base, "file_name": f.name, "loaded_at": now})
    _insert(con, "remittance_adjustments", rem.adjustments, base)
    _insert(con, "remittance_service_lines", rem.service_lines, base)
    _insert(con, "remittance_provider_adjustments", rem.provider_adjustments, base)
    held = [t for t in rem.transactions if t["status"] == "held"]
    out.warnings = list(rem.warnings) + [
        f"transaction {t['st_control_number']} held: {t['hold_reason']}" for t in held]
    out.rows_read = sum(t["claim_count"] for t in rem.transactions)
    out.rows_loaded = len(rem.claims)
    out.rows_rejected = sum(t["claim_count"] for t in held)
    return out
