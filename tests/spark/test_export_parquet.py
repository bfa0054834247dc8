"""The raw-layer hand-off (orchestration.raw.export_parquet), without Spark: runs in `make test`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.core.settings import DBT_PROJECT_DIR
from orchestration.policy.policy import DEFAULT_POLICY_PATH, load_policy
from orchestration.raw.export_parquet import export_raw, main
from orchestration.raw.ingest import write_policy
from orchestration.raw.schema import ensure_schema, write_run_context


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    wh = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(wh))
    try:
        ensure_schema(con)
        write_policy(con, load_policy(DEFAULT_POLICY_PATH))
        write_run_context(con, date(2026, 11, 20), "run-1")
        con.execute(
            "INSERT INTO ops.send_ledger (touch_id, guarantor_id, episode_start, step, channel, "
            "as_of_date, status, planned_at) VALUES ('T1', 'G1', DATE '2026-10-01', 'statement_1', "
            "'mail', DATE '2026-11-20', 'sent', TIMESTAMP '2026-11-20 14:05:06.123456')"
        )
        con.execute(
            "INSERT INTO raw.remittance_claims (file_sha256, claim_index, charge, paid, payment_date) "
            "VALUES ('abc', 1, 500.10, 399.99, DATE '2026-09-20'), ('abc', 2, -12.34, 0, NULL)"
        )
        con.execute("CREATE TABLE main.not_exported AS SELECT 1 AS x")
    finally:
        con.close()
    return wh


def _read(path: Path, sql_tail: str = "") -> list[tuple]:
    con = duckdb.connect()
    try:
        return con.execute(f"SELECT * FROM read_parquet('{path}/*.parquet') {sql_tail}").fetchall()
    finally:
        con.close()


def test_every_source_table_lands_in_its_own_folder(warehouse: Path, tmp_path: Path):
    out = tmp_path / "export"
    done = export_raw(warehouse, out)
    folders = {(e.schema, e.table) for e in done}
    # every table the dbt sources read is exported, so register_raw_parquet finds a folder for each
    sources = yaml.safe_load((DBT_PROJECT_DIR / "models/staging/_raw__sources.yml").read_text())
    wanted = {(s["schema"], t["name"]) for s in sources["sources"] for t in s["tables"]}
    assert wanted <= folders, wanted - folders
    assert all(schema in ("raw", "ops") for schema, _ in folders)  # nothing from main
    for e in done:
        assert e.path == out.resolve() / e.schema / e.table
        assert [p.name for p in e.path.iterdir()] == ["part-0.parquet"]
        assert len(_read(e.path)) == e.rows
    assert not list(out.rglob(".*.tmp"))


def test_types_and_values_survive(warehouse: Path, tmp_path: Path):
    out = tmp_path / "export"
    export_raw(warehouse, out)
    con = duckdb.connect()
    try:
        rel = con.execute(
            f"SELECT charge, paid, payment_date, claim_index FROM "
            f"read_parquet('{out}/raw/remittance_claims/*.parquet') ORDER BY claim_index"
        )
        types = [str(d[1]) for d in rel.description]
        rows = rel.fetchall()
        ledger = con.execute(
            f"SELECT planned_at, episode_start, sent_at FROM read_parquet('{out}/ops/send_ledger/*.parquet')"
        ).fetchall()
        ctx = con.execute(f"SELECT as_of_date, run_id FROM read_parquet('{out}/raw/run_context/*.parquet')").fetchall()
    finally:
        con.close()
    assert types[:3] == ["DECIMAL(18,2)", "DECIMAL(18,2)", "DATE"]
    assert rows == [
        (Decimal("500.10"), Decimal("399.99"), date(2026, 9, 20), 1),
        (Decimal("-12.34"), Decimal("0.00"), None, 2),
    ]
    assert ledger == [(datetime(2026, 11, 20, 14, 5, 6, 123456), date(2026, 10, 1), None)]
    assert ctx == [(date(2026, 11, 20), "run-1")]


def test_a_new_export_replaces_the_old_one(warehouse: Path, tmp_path: Path):
    out = tmp_path / "export"
    export_raw(warehouse, out)
    (out / "raw" / "run_context" / "stale.parquet").write_bytes(b"left over")
    con = duckdb.connect(str(warehouse))
    try:
        write_run_context(con, date(2026, 11, 21), "run-2")
    finally:
        con.close()
    export_raw(warehouse, out)
    assert [p.name for p in (out / "raw" / "run_context").iterdir()] == ["part-0.parquet"]
    assert _read(out / "raw" / "run_context", "")[0][:2] == (date(2026, 11, 21), "run-2")


def test_cli_exports_and_refuses_a_missing_warehouse(warehouse: Path, tmp_path: Path, capsys):
    assert main(["--warehouse", str(warehouse), "--out", str(tmp_path / "cli")]) == 0
    printed = capsys.readouterr().out
    assert "ops.send_ledger: 1 rows" in printed and "tables in" in printed
    assert (tmp_path / "cli" / "raw" / "guarantors" / "part-0.parquet").is_file()

    assert main(["--warehouse", str(tmp_path / "nope.duckdb"), "--out", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert "no DuckDB warehouse at" in err and not (tmp_path / "x").exists()


def test_an_empty_warehouse_is_an_error(tmp_path: Path):
    wh = tmp_path / "empty.duckdb"
    duckdb.connect(str(wh)).close()
    with pytest.raises(ValueError, match="no table in schemas raw, ops"):
        export_raw(wh, tmp_path / "out")
