"""The project's `columns_not_null` generic test (dbt_project/tests/generic/columns_not_null.sql):
one dbt node checks a model's list of not-null columns, still blocks the build when one of
them holds a null, and its failing rows name the column and how many rows are null."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.policy.policy import load_policy
from orchestration.raw.ingest import ingest
from orchestration.raw.schema import ensure_schema, write_run_context
from orchestration.core.settings import DBT_PROJECT_DIR
from tests.warehouse.harness import Landing, Warehouse, _release_duckdb, dbt_build

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, dbt_manifest) -> Path:
    """A tiny clinic loaded into raw (the first half of Landing.build: these tests build only
    the models they are about, not the whole project)."""
    lz = Landing(tmp_path_factory.mktemp("columns_not_null"))
    lz.guarantor("G1")
    lz.encounter("E1", "G1", service_date="2026-10-01", total_charge="120.00")
    landing = lz.write()
    path = lz.root / "loaded.duckdb"
    con = duckdb.connect(str(path))
    try:
        ensure_schema(con)
        ingest(con, landing, load_policy(lz.policy_path()), today=AS_OF, as_of=AS_OF, run_id="scenario")
        write_run_context(con, AS_OF, "scenario")
        con.execute("INSERT INTO ops.placement_ledger (placement_id, batch_id, guarantor_id, placed_at, status) "
                    "VALUES ('PL0', 'B0', 'G1', DATE '2026-11-01', 'placed')")
    finally:
        con.close()
    return path


@pytest.fixture
def wh(loaded, monkeypatch) -> Warehouse:
    """A fresh copy of the loaded clinic to corrupt behind the loaders' back, always at the
    same path (dbt re-parses the whole project when the profile's path changes). dbt selects
    only the tests whose every parent is selected (no relationships or singular tests on
    models these tests do not build)."""
    monkeypatch.setenv("DBT_INDIRECT_SELECTION", "cautious")
    path = loaded.with_name("warehouse.duckdb")
    shutil.copyfile(loaded, path)
    return Warehouse(path)


def _execute(wh: Warehouse, *sql: str) -> None:
    con = duckdb.connect(str(wh.path))
    try:
        for s in sql:
            con.execute(s)
    finally:
        con.close()


def _failing_rows(wh: Warehouse, test_name: str) -> set[tuple[str, int]]:
    """What `dbt show --select <test>` prints for a failing columns_not_null test."""
    from dbt.cli.main import dbtRunner

    os.environ["COLLECTIONS_WAREHOUSE_PATH"] = str(wh.path)
    res = dbtRunner().invoke(["show", "--select", test_name, "--project-dir", str(DBT_PROJECT_DIR),
                              "--profiles-dir", str(DBT_PROJECT_DIR), "--quiet", "--no-use-colors",
                              "--limit", "100"])
    _release_duckdb()
    assert res.success, res.exception
    (result,) = res.result.results
    return {(row["column_name"], int(row["null_rows"])) for row in result.agate_table.rows}


def test_every_model_keeps_its_key_test_and_grouped_tests_block(dbt_manifest):
    manifest = json.loads(dbt_manifest.read_text())
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    grouped = [n for n in tests if (n.get("test_metadata") or {}).get("name") == "columns_not_null"]
    assert len(grouped) >= 40
    for n in grouped:
        model = n["attached_node"].split(".")[-1]
        assert n["name"] == f"columns_not_null_{model}"
        assert n["config"]["severity"].lower() == "error"          # a blocking Dagster check
        assert n["test_metadata"]["kwargs"]["column_names"]
    # the primary-key tests stay one not_null per key column, beside its unique test
    singles = {(n["attached_node"], n["column_name"]) for n in tests
               if (n.get("test_metadata") or {}).get("name") == "not_null" and n["attached_node"].startswith("model.")}
    uniques = {(n["attached_node"], n["column_name"]) for n in tests
               if (n.get("test_metadata") or {}).get("name") == "unique"}
    assert singles and singles <= uniques


def test_valid_rows_pass(wh):
    dbt_build(wh.path, select="stg_encounters stg_placement_ledger")   # raises on a failure
    assert wh.one("SELECT guarantor_id FROM staging.stg_encounters") == "G1"


def test_null_in_a_grouped_column_fails_the_build_naming_it(wh):
    # stg_encounters.guarantor_id is in columns_not_null_stg_encounters
    _execute(wh, "UPDATE raw.encounters SET guarantor_id = NULL WHERE encounter_id = 'E1'")
    with pytest.raises(AssertionError) as failed:
        dbt_build(wh.path, select="stg_encounters")
    assert "columns_not_null_stg_encounters: fail" in str(failed.value)
    assert _failing_rows(wh, "columns_not_null_stg_encounters") == {("guarantor_id", 1)}


def test_one_row_per_offending_column_with_its_null_count(wh):
    # two of the four grouped columns of stg_placement_ledger null, in one or two rows
    cols = "placement_id, batch_id, guarantor_id, placed_at, status"
    _execute(wh,
             f"INSERT INTO ops.placement_ledger ({cols}) VALUES ('PL1', NULL, 'G1', NULL, 'placed')",
             f"INSERT INTO ops.placement_ledger ({cols}) VALUES ('PL2', 'B1', 'G1', NULL, 'placed')")
    with pytest.raises(AssertionError) as failed:
        dbt_build(wh.path, select="stg_placement_ledger")
    assert "columns_not_null_stg_placement_ledger: fail Got 2 results" in str(failed.value)
    assert _failing_rows(wh, "columns_not_null_stg_placement_ledger") == {("batch_id", 1), ("placed_at", 2)}
