"""Blocking quality gates on the raw layer: the Great Expectations suite of each raw table,
run on the rows this run loaded (ENGINEERING.md: GE validates pandas frames queried from
DuckDB; full-table rules are dbt tests)."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.settings import EXPECTATIONS_DIR

# raw table -> column holding the SHA-256 of the file each row came from
CHECKED_TABLES = {
    "guarantors": "_file_sha256", "encounters": "_file_sha256",
    "patient_transactions": "_file_sha256", "payment_plans": "_file_sha256",
    "disputes": "_file_sha256", "hardship": "_file_sha256", "contact_log": "_file_sha256",
    "agency_activity": "_file_sha256", "remittance_claims": "file_sha256",
    "sendgrid_events": "_file_sha256",
}


def expectations_dir() -> Path:
    return Path(os.environ.get("COLLECTIONS_EXPECTATIONS_DIR", EXPECTATIONS_DIR))


def raw_table_checks() -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(f"ge_raw_{t}", asset=["raw", t], blocking=True,
                          description=f"Great Expectations suite raw_{t} on the rows this run loaded.")
        for t in CHECKED_TABLES
    ]


def run_raw_table_check(con: duckdb.DuckDBPyConnection, spec: dg.AssetCheckSpec,
                        run_id: str) -> dg.AssetCheckResult:
    from orchestration.quality import great_expectations as gx_gate

    table = spec.asset_key.path[-1]
    sha_col = CHECKED_TABLES[table]
    # only the columns the suite reads (a first load can be millions of rows); a column the
    # suite names but the table lacks stays missing and fails its expectation (schema drift)
    referenced = gx_gate.suite_reads(f"raw_{table}", expectations_dir())
    present = [c for (c,) in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = ? "
        "ORDER BY ordinal_position", [table]).fetchall() if c in referenced]
    select = ", ".join(f'"{c}"' for c in present) or "1 AS _no_column"
    df = con.execute(
        f"SELECT {select} FROM raw.{table} WHERE {sha_col} IN "
        "(SELECT file_sha256 FROM raw.file_ledger WHERE load_run_id = ?)", [run_id]).df()
    result = gx_gate.validate_dataframe(df, f"raw_{table}", suites_dir=expectations_dir())
    severity = dg.AssetCheckSeverity.ERROR if not result.success else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(
        asset_key=spec.asset_key, check_name=spec.name,
        passed=result.success and not result.warnings,   # a warning shows, only critical blocks
        severity=severity, metadata=result.as_metadata())


def validate_table(warehouse: Path, table: str, suite: str):
    """Run a suite on a whole (small) warehouse table, e.g. today's touch audience."""
    from orchestration.quality import great_expectations as gx_gate

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        df = con.execute(f"SELECT * FROM {table}").df()
    finally:
        con.close()
    return gx_gate.validate_dataframe(df, suite, suites_dir=expectations_dir())
