"""The project's `model_rules` generic test (dbt_project/tests/generic/model_rules.sql): one
dbt node holds every rule test of a model (not_null, unique, accepted_values, relationships),
still blocks the build when one rule fails, and its failing rows name the rule and the row's
key — in `dbt show` and in the daily job's check description (orchestration/warehouse/rule_failures.py)."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.core.settings import DBT_PROJECT_DIR
from orchestration.policy.policy import load_policy
from orchestration.raw.ingest import ingest
from orchestration.raw.schema import ensure_schema, write_run_context
from orchestration.warehouse.rule_failures import describe, failing_rows
from tests.warehouse.harness import Landing, Warehouse, _manifest, _release_duckdb, _target_path, dbt_build

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, dbt_manifest) -> Path:
    """A tiny clinic loaded into raw (the first half of Landing.build: these tests build only
    the models they are about, not the whole project)."""
    lz = Landing(tmp_path_factory.mktemp("model_rules"))
    lz.guarantor("G1")
    lz.encounter("E1", "G1", service_date="2026-10-01", total_charge="120.00")
    landing = lz.write()
    path = lz.root / "loaded.duckdb"
    con = duckdb.connect(str(path))
    try:
        ensure_schema(con)
        ingest(con, landing, load_policy(lz.policy_path()), today=AS_OF, as_of=AS_OF, run_id="scenario")
        write_run_context(con, AS_OF, "scenario")
        con.execute(
            "INSERT INTO ops.placement_ledger (placement_id, batch_id, guarantor_id, placed_at, status) "
            "VALUES ('PL0', 'B0', 'G1', DATE '2026-11-01', 'placed')"
        )
    finally:
        con.close()
    return path


@pytest.fixture
def wh(loaded, monkeypatch) -> Warehouse:
    """A fresh copy of the loaded clinic to corrupt behind the loaders' back, always at the
    same path (dbt re-parses the whole project when the profile's path changes). dbt selects
    only the tests whose every parent is selected (no relationships or singular tests on
    models these tests do not build: model_rules_stg_encounters, whose relationships rule reads
    stg_guarantors, runs when both are selected)."""
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


def _failing_rows(wh: Warehouse, test_name: str) -> set[tuple[str, str | None]]:
    """What `dbt show --select <test>` prints for a failing model_rules test."""
    from dbt.cli.main import dbtRunner

    os.environ["COLLECTIONS_WAREHOUSE_PATH"] = str(wh.path)
    res = dbtRunner(manifest=_manifest(wh.path)).invoke(
        [
            "show",
            "--select",
            test_name,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",  # never the project's target/ (a Dagster run may be reading it)
            str(_target_path()),
            "--log-path",
            str(_target_path()),
            "--quiet",
            "--no-use-colors",
            "--limit",
            "100",
        ]
    )
    _release_duckdb()
    assert res.success, res.exception
    (result,) = res.result.results
    return {(row["rule_name"], row["failing_key"]) for row in result.agate_table.rows}


def _compiled(test_name: str) -> str:
    """The query the last dbt_build ran for the test (what the daily job reads back)."""
    (path,) = _target_path().glob(f"compiled/collections/**/{test_name}.sql")
    return path.read_text()


def test_every_tested_model_has_one_rules_test_and_no_single_rule_tests(dbt_manifest):
    manifest = json.loads(dbt_manifest.read_text())
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    kinds = {(n.get("test_metadata") or {}).get("name") for n in tests}
    assert kinds <= {"model_rules", None}  # None: the singular tests (tests/*.sql)
    grouped = [n for n in tests if (n.get("test_metadata") or {}).get("name") == "model_rules"]
    assert len(grouped) >= 70
    rules = 0
    for n in grouped:
        model = n["attached_node"].split(".")[-1]
        warn = n["config"]["severity"].lower() == "warn"
        refs = n["name"].endswith("_relationships")
        assert n["name"] == f"model_rules_{model}" + ("_warn" if warn else "_relationships" if refs else "")
        names = [r["name"] for r in n["test_metadata"]["kwargs"]["rules"]]
        if not refs:
            # it gates every child of its model (dbt build skips them on a failure) only when
            # it reads that model alone: a relationships rule reads the parent model too
            assert n["depends_on"]["nodes"] == [n["attached_node"]], n["name"]
        assert len(names) == len(set(names))
        rules += len(names)
    assert rules >= 400  # docs/dbt-tests.md: 423 rules from 291 tests
    # every model with a unique key names its failing rows by it
    keyed = [n for n in grouped if any("unique" in r for r in n["test_metadata"]["kwargs"]["rules"])]
    assert keyed and all(n["test_metadata"]["kwargs"].get("key") for n in keyed)


def test_valid_rows_pass(wh):
    dbt_build(wh.path, select="stg_encounters stg_placement_ledger")  # raises on a failure
    assert wh.one("SELECT guarantor_id FROM staging.stg_encounters") == "G1"


def test_null_fails_the_build_naming_the_rule_and_key(wh):
    _execute(wh, "UPDATE raw.encounters SET guarantor_id = NULL WHERE encounter_id = 'E1'")
    with pytest.raises(AssertionError) as failed:  # the rules test also reads stg_guarantors
        dbt_build(wh.path, select="+stg_guarantors stg_encounters")
    assert "model_rules_stg_encounters: fail Got 1 result" in str(failed.value)
    assert _failing_rows(wh, "model_rules_stg_encounters") == {("not_null_guarantor_id", "E1")}


def test_each_failing_row_of_each_rule_is_named(wh):
    # two not-null columns of stg_placement_ledger null, in one or two rows; a duplicate key
    cols = "placement_id, batch_id, guarantor_id, placed_at, status"
    _execute(
        wh,
        f"INSERT INTO ops.placement_ledger ({cols}) VALUES ('PL1', NULL, 'G1', NULL, 'placed')",
        f"INSERT INTO ops.placement_ledger ({cols}) VALUES ('PL2', 'B1', 'G1', NULL, 'placed')",
    )
    with pytest.raises(AssertionError) as failed:
        dbt_build(wh.path, select="stg_placement_ledger")
    assert "model_rules_stg_placement_ledger: fail Got 3 results" in str(failed.value)
    expected = {("not_null_batch_id", "PL1"), ("not_null_placed_at", "PL1"), ("not_null_placed_at", "PL2")}
    assert _failing_rows(wh, "model_rules_stg_placement_ledger") == expected
    # what the daily job's check description says (read back after the build)
    con = duckdb.connect(str(wh.path), read_only=True)
    try:
        rows = failing_rows(con, _compiled("model_rules_stg_placement_ledger"))
    finally:
        con.close()
    assert describe(rows).splitlines() == [
        "rule not_null_batch_id: 1 failing row(s): PL1",
        "rule not_null_placed_at: 2 failing row(s): PL1, PL2",
    ]


def test_unique_accepted_values_and_relationships_name_their_rows(wh):
    _execute(
        wh,
        "INSERT INTO raw.encounters SELECT * FROM raw.encounters",  # E1 twice
        "INSERT INTO raw.encounters SELECT * REPLACE ('E2' AS encounter_id, 'G9' AS guarantor_id) "
        "FROM raw.encounters LIMIT 1",
    )  # G9 unknown
    with pytest.raises(AssertionError) as failed:
        dbt_build(wh.path, select="+stg_guarantors stg_encounters")
    assert "model_rules_stg_encounters: fail" in str(failed.value)
    assert "model_rules_stg_encounters_relationships: fail" in str(failed.value)
    assert _failing_rows(wh, "model_rules_stg_encounters") == {("unique_encounter_id", "E1")}
    assert _failing_rows(wh, "model_rules_stg_encounters_relationships") == {("relationships_guarantor_id", "E2")}


def test_describe_lists_the_first_keys_per_rule_and_counts_the_rest():
    con = duckdb.connect()
    query = (
        "SELECT 'unique_x' AS rule_name, 'K' || lpad(CAST(i AS VARCHAR), 2, '0') AS failing_key FROM range(12) t(i) "
        "UNION ALL SELECT 'not_null_y', NULL"
    )
    rows = failing_rows(con, query)
    assert len(rows) == 11  # at most 10 keys per rule leave the warehouse
    assert describe(rows).splitlines() == [
        "rule not_null_y: 1 failing row(s): (no key)",
        "rule unique_x: 12 failing row(s): K00, K01, K02, K03, K04, K05, K06, K07, K08, K09 (+2 more)",
    ]


def test_the_ephemeral_scorecard_facts_rules_are_rules_of_the_observations(dbt_manifest):
    """int_scorecard_facts is not stored (docs/dbt-tests.md, "Rules of a model that is not
    stored"): no test reads it; its five rules, under their names, are rules of its only reader,
    fct_scorecard_observations, in a test that reads that mart alone (it gates every child)."""
    nodes = json.loads(dbt_manifest.read_text())["nodes"]
    facts, obs = "model.collections.int_scorecard_facts", "model.collections.fct_scorecard_observations"
    assert nodes[facts]["config"]["materialized"] == "ephemeral"
    assert [u for u, n in nodes.items() if facts in n["depends_on"].get("nodes", [])] == [obs]
    tests = {n["name"]: n for n in nodes.values() if n["resource_type"] == "test" and n.get("attached_node") == obs}
    rules = {name: {r["name"]: r for r in n["test_metadata"]["kwargs"]["rules"]} for name, n in tests.items()}
    own = rules["model_rules_fct_scorecard_observations"]
    assert {"unique_fact_id", "not_null_fact_id", "not_null_kpi", "not_null_fact_date"} <= set(own)
    assert tests["model_rules_fct_scorecard_observations"]["depends_on"]["nodes"] == [obs]
    (kpi,) = rules["model_rules_fct_scorecard_observations_relationships"].values()
    assert kpi["name"] == "relationships_kpi"
    assert kpi["relationships"] == {"column": "kpi", "to": "ref('scorecard_kpis')", "field": "kpi"}
