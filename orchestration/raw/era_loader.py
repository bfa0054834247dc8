"""Load 835 remittance files into the raw.remittance_* tables.

Parsing is `orchestration.raw.x12_835` (pure); this module only moves its rows into DuckDB
and turns its verdicts into ledger outcomes: quarantine a file that cannot be read, hold an
unbalanced transaction (its row stays in raw.remittance_transactions with the reason, none
of its claims load), and record warnings. A batch of files is inserted with one statement
per table; the caller commits it together with the ledger rows.
"""

from __future__ import annotations

from collections import defaultdict

import duckdb
import pyarrow as pa

from orchestration.raw import x12_835
from orchestration.raw.files import FileOutcome, LandingFile, utcnow
from orchestration.raw.schema import ERA_TABLES

PARTS = {  # raw table -> Remittance attribute
    "remittance_transactions": "transactions", "remittance_claims": "claims",
    "remittance_adjustments": "adjustments", "remittance_service_lines": "service_lines",
    "remittance_provider_adjustments": "provider_adjustments",
}


def parse_file(f: LandingFile) -> tuple[FileOutcome, x12_835.Remittance | None]:
    out = FileOutcome(f)
    try:
        rem = x12_835.parse_835(f.path.read_bytes())
    except x12_835.X12QuarantineError as exc:
        out.status, out.reason = "quarantined", str(exc)
        return out, None
    held = [t for t in rem.transactions if t["status"] == "held"]
    out.warnings = list(rem.warnings) + [
        f"transaction {t['st_control_number']} held: {t['hold_reason']}" for t in held]
    out.rows_read = sum(t["claim_count"] for t in rem.transactions)
    out.rows_loaded = len(rem.claims)
    out.rows_rejected = sum(t["claim_count"] for t in held)
    return out, rem


def load_era_files(con: duckdb.DuckDBPyConnection, files: list[LandingFile]) -> list[FileOutcome]:
    """Parse every file, then insert all their rows (one INSERT per raw table)."""
    now = utcnow()
    rows: dict[str, list[dict]] = defaultdict(list)
    outcomes = []
    for f in files:
        out, rem = parse_file(f)
        outcomes.append(out)
        if rem is None:
            continue
        stamp = {"file_sha256": f.sha256, "file_name": f.name, "loaded_at": now}
        for table, attr in PARTS.items():
            rows[table] += [{**r, **stamp} for r in getattr(rem, attr)]
    for table, batch in rows.items():
        _insert(con, table, batch)
    return outcomes


_ARROW = {"VARCHAR": pa.string(), "INTEGER": pa.int32(), "DATE": pa.date32(),
          "TIMESTAMP": pa.timestamp("us")}


def _arrow_column(values: list, sql_type: str) -> pa.Array:
    if sql_type.startswith("DECIMAL"):
        # exact decimals (never floats); a value with more than 6 decimals goes in as text
        # and DuckDB rounds it in the CAST below
        try:
            return pa.array(values, type=pa.decimal128(38, 6))
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return pa.array([None if v is None else str(v) for v in values], type=pa.string())
    return pa.array(values, type=_ARROW[sql_type])


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    cols = ERA_TABLES[table]
    data = pa.table({c: _arrow_column([r.get(c) for r in rows], t) for c, t in cols})
    con.register("_era_rows", data)
    casts = ", ".join(f"CAST({c} AS {t})" for c, t in cols)
    con.execute(f"INSERT INTO raw.{table} SELECT {casts} FROM _era_rows")
    con.unregister("_era_rows")
