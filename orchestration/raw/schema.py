"""DDL of the raw layer (schema `raw`) and the operational store (schema `ops`).

Raw tables are written only by the loaders in this folder; dbt reads them as sources.
The `ops` schema holds state that dbt must never rebuild (the send ledger): it is created
here, once, and no dbt model materializes into it.
"""

from __future__ import annotations

from datetime import UTC

import duckdb

from orchestration.landing.contract import CSV_TABLES, Column, TableSpec

SQL_TYPES = {
    "text": "VARCHAR",
    "enum": "VARCHAR",
    "timezone": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "datetime": "TIMESTAMP",
    "money": "DECIMAL(18,2)",
    "int": "INTEGER",
    "bool": "BOOLEAN",
    "pct": "DECIMAL(9,4)",
}
LINEAGE_COLUMNS = (
    ("_file_name", "VARCHAR"),
    ("_file_sha256", "VARCHAR"),
    ("_line", "BIGINT"),
    ("_loaded_at", "TIMESTAMP"),
)


def stored_columns(spec: TableSpec) -> list[tuple[str, str, Column | None]]:
    """(name, SQL type, source column) of a raw CSV table: instants also get a local date."""
    out: list[tuple[str, str, Column | None]] = []
    for col in spec.columns:
        out.append((col.name, SQL_TYPES[col.type], col))
        if col.is_instant and col.name != "updated_at":
            out.append((f"{col.stem}_date", "DATE", None))
    return out


ERA_TABLES = {
    "remittance_transactions": [
        ("file_sha256", "VARCHAR"),
        ("file_name", "VARCHAR"),
        ("transaction_index", "INTEGER"),
        ("st_control_number", "VARCHAR"),
        ("payer_id", "VARCHAR"),
        ("payer_name", "VARCHAR"),
        ("payment_amount", "DECIMAL(18,2)"),
        ("credit_debit_flag", "VARCHAR"),
        ("payment_method", "VARCHAR"),
        ("payment_date", "DATE"),
        ("payment_date_source", "VARCHAR"),
        ("trace_number", "VARCHAR"),
        ("payee_id", "VARCHAR"),
        ("claim_count", "INTEGER"),
        ("status", "VARCHAR"),
        ("hold_reason", "VARCHAR"),
        ("version", "VARCHAR"),
        ("loaded_at", "TIMESTAMP"),
    ],
    "remittance_claims": [
        ("file_sha256", "VARCHAR"),
        ("file_name", "VARCHAR"),
        ("transaction_index", "INTEGER"),
        ("claim_index", "INTEGER"),
        ("patient_control_number", "VARCHAR"),
        ("claim_status", "VARCHAR"),
        ("charge", "DECIMAL(18,2)"),
        ("paid", "DECIMAL(18,2)"),
        ("patient_responsibility", "DECIMAL(18,2)"),
        ("claim_filing_indicator", "VARCHAR"),
        ("payer_claim_control_number", "VARCHAR"),
        ("pr_deductible", "DECIMAL(18,2)"),
        ("pr_coinsurance", "DECIMAL(18,2)"),
        ("pr_copay", "DECIMAL(18,2)"),
        ("pr_other", "DECIMAL(18,2)"),
        ("service_date_start", "DATE"),
        ("service_date_end", "DATE"),
        ("payer_id", "VARCHAR"),
        ("payment_date", "DATE"),
        ("loaded_at", "TIMESTAMP"),
    ],
    "remittance_adjustments": [
        ("file_sha256", "VARCHAR"),
        ("claim_index", "INTEGER"),
        ("level", "VARCHAR"),
        ("service_line_index", "INTEGER"),
        ("group_code", "VARCHAR"),
        ("reason_code", "VARCHAR"),
        ("amount", "DECIMAL(18,2)"),
        ("quantity", "DECIMAL(18,4)"),
    ],
    "remittance_service_lines": [
        ("file_sha256", "VARCHAR"),
        ("claim_index", "INTEGER"),
        ("service_line_index", "INTEGER"),
        ("procedure", "VARCHAR"),
        ("charge", "DECIMAL(18,2)"),
        ("paid", "DECIMAL(18,2)"),
        ("units", "DECIMAL(18,4)"),
        ("service_date", "DATE"),
    ],
    "remittance_provider_adjustments": [
        ("file_sha256", "VARCHAR"),
        ("transaction_index", "INTEGER"),
        ("provider_id", "VARCHAR"),
        ("fiscal_period_date", "DATE"),
        ("reason_code", "VARCHAR"),
        ("reference", "VARCHAR"),
        ("amount", "DECIMAL(18,2)"),
    ],
}

OTHER_RAW_TABLES = {
    # one row per file seen in the landing zone (a re-sent identical file gets status duplicate)
    "file_ledger": [
        ("file_name", "VARCHAR"),
        ("kind", "VARCHAR"),
        ("file_sha256", "VARCHAR"),
        ("size_bytes", "BIGINT"),
        ("mtime_ns", "BIGINT"),
        ("status", "VARCHAR"),
        ("reason", "VARCHAR"),
        ("rows_read", "BIGINT"),
        ("rows_loaded", "BIGINT"),
        ("rows_rejected", "BIGINT"),
        ("warnings", "VARCHAR"),
        ("extra_columns", "VARCHAR"),
        ("arrived_at", "TIMESTAMP"),
        ("loaded_at", "TIMESTAMP"),
        ("run_as_of_date", "DATE"),
        ("load_run_id", "VARCHAR"),
    ],
    # one row per (bad row, column, reason)
    "load_rejects": [
        ("file_name", "VARCHAR"),
        ("file_sha256", "VARCHAR"),
        ("table_name", "VARCHAR"),
        ("line_number", "BIGINT"),
        ("column_name", "VARCHAR"),
        ("reason", "VARCHAR"),
        ("value", "VARCHAR"),
        ("rejected_at", "TIMESTAMP"),
    ],
    "sendgrid_events": [
        ("sg_event_id", "VARCHAR"),
        ("sg_message_id", "VARCHAR"),
        ("event", "VARCHAR"),
        ("event_at", "TIMESTAMP"),
        ("touch_id", "VARCHAR"),
        ("guarantor_id", "VARCHAR"),
        ("email_sha256", "VARCHAR"),
        ("reason", "VARCHAR"),
        ("status", "VARCHAR"),
        ("bounce_type", "VARCHAR"),
        ("asm_group_id", "INTEGER"),
        ("_file_name", "VARCHAR"),
        ("_file_sha256", "VARCHAR"),
        ("_loaded_at", "TIMESTAMP"),
        ("_line", "BIGINT"),  # the event's position in its file's array (1-based)
        ("event_at_source", "VARCHAR"),  # sendgrid | file_arrival (no usable timestamp)
    ],
    # a raw quality gate that failed on a file stays failed on later runs until the file's
    # rows pass (a corrected file replaced them) or a person releases it
    # (orchestration/quality/gates.py, `python -m orchestration.release`)
    "gate_failures": [
        ("check_name", "VARCHAR"),
        ("table_name", "VARCHAR"),
        ("file_name", "VARCHAR"),
        ("file_sha256", "VARCHAR"),
        ("detail", "VARCHAR"),
        ("first_failed_at", "TIMESTAMP"),
        ("first_run_id", "VARCHAR"),
        ("last_failed_at", "TIMESTAMP"),
        ("last_run_id", "VARCHAR"),
        ("resolved_at", "TIMESTAMP"),
        ("resolution", "VARCHAR"),
        ("released_by", "VARCHAR"),
    ],
}

OPS_TABLES = {
    # written by the placement assets: one row per placed account; never rebuilt by dbt
    "placement_ledger": [
        ("placement_id", "VARCHAR PRIMARY KEY"),
        ("batch_id", "VARCHAR"),
        ("guarantor_id", "VARCHAR"),
        ("encounter_id", "VARCHAR"),
        ("placed_at", "DATE"),
        ("balance_placed", "DECIMAL(18,2)"),
        ("bureau_reportable", "BOOLEAN"),
        ("policy_version", "VARCHAR"),
        ("status", "VARCHAR"),
        ("recalled_at", "DATE"),
        ("recall_reason", "VARCHAR"),
        ("created_at", "TIMESTAMP"),
    ],
    # written by the outreach assets before and after each send; never rebuilt by dbt
    # one row per completed daily run (as-of date); a run for an earlier date than the last
    # completed one is refused unless it is a backfill (orchestration/run.py, docs/operations.md)
    "run_history": [
        ("as_of_date", "DATE"),
        ("run_id", "VARCHAR"),
        ("mode", "VARCHAR"),
        ("completed_at", "TIMESTAMP"),
    ],
    "send_ledger": [
        ("touch_id", "VARCHAR PRIMARY KEY"),
        ("guarantor_id", "VARCHAR"),
        ("episode_start", "DATE"),
        ("step", "VARCHAR"),
        ("channel", "VARCHAR"),
        ("as_of_date", "DATE"),
        ("status", "VARCHAR"),
        ("status_reason", "VARCHAR"),
        ("planned_at", "TIMESTAMP"),
        ("sent_at", "TIMESTAMP"),
        ("provider_message_id", "VARCHAR"),
        ("updated_at", "TIMESTAMP"),
    ],
}


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every raw and ops table that does not exist yet (never drops anything)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute("CREATE SCHEMA IF NOT EXISTS ops")
    for spec in CSV_TABLES:
        cols = [f"{name} {sql_type}" for name, sql_type, _ in stored_columns(spec)]
        cols += [f"{name} {sql_type}" for name, sql_type in LINEAGE_COLUMNS]
        con.execute(f"CREATE TABLE IF NOT EXISTS raw.{spec.name} ({', '.join(cols)})")
    for name, cols in {**ERA_TABLES, **OTHER_RAW_TABLES}.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS raw.{name} ({_ddl(cols)})")
    for name, cols in OPS_TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS ops.{name} ({_ddl(cols)})")
    _add_new_columns(con)


def _add_new_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Columns added to a raw table after a warehouse was created: added at the end (loaders
    insert by column name), empty for the rows already there."""
    wanted = {("raw", name): cols for name, cols in {**ERA_TABLES, **OTHER_RAW_TABLES}.items()}
    have: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in con.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns WHERE table_schema = 'raw'"
    ).fetchall():
        have.setdefault((schema, table), set()).add(column)
    for (schema, table), cols in wanted.items():
        for name, sql_type in cols:
            if name not in have.get((schema, table), {name}):
                con.execute(f"ALTER TABLE {schema}.{table} ADD COLUMN {name} {sql_type.split()[0]}")


def _ddl(cols: list[tuple[str, str]]) -> str:
    return ", ".join(f"{n} {t}" for n, t in cols)


def write_run_context(
    con: duckdb.DuckDBPyConnection, as_of: object, run_id: str | None, run_started_at: object = None
) -> None:
    """The as-of date dbt builds for and the instant the run started (raw.run_context, one row;
    `run_started_at` naive UTC or aware, default now): the clock of the freshness and contact
    window rules (docs/rules.md §4).

    dbt reads it through the `as_of_date()` and `run_started_at()` macros instead of `--vars`
    values, because a changed var forces dbt to re-parse the whole project (seconds on every
    daily run).
    """
    from datetime import datetime

    started = run_started_at if run_started_at is not None else datetime.now(UTC)
    if isinstance(started, datetime) and started.tzinfo is not None:
        started = started.astimezone(UTC).replace(tzinfo=None)
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(
        "CREATE OR REPLACE TABLE raw.run_context AS "
        "SELECT CAST(? AS DATE) AS as_of_date, CAST(? AS VARCHAR) AS run_id, "
        "CAST(? AS TIMESTAMP) AS run_started_at, "
        "current_timestamp::TIMESTAMP AS written_at",
        [str(as_of), run_id, started],
    )
