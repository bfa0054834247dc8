"""The static dbt nodes (orchestration/warehouse/static_nodes.py): which nodes they are, when a
daily build may leave them out (same definitions, same relations in the warehouse), and that a
build leaving them out still runs the staging views' rules, which still skip the views'
children when they fail."""

from __future__ import annotations

import copy
import json
import os
import shutil
from datetime import date

import duckdb
import pytest

from orchestration.core.settings import DBT_PROJECT_DIR
from orchestration.warehouse.rule_failures import failing_rows
from orchestration.warehouse.static_nodes import (
    Recorded,
    StaticNodes,
    build_args,
    plan_static_build,
    record_static_build,
    relation_fingerprints,
    skip_static,
    static_nodes,
)
from tests.warehouse.harness import Landing, _manifest, _release_duckdb, _target_path

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def manifest(dbt_manifest) -> dict:
    return json.loads(dbt_manifest.read_text())


def test_the_static_nodes_are_the_views_seeds_time_spine_and_their_table_tests(manifest):
    s = static_nodes(manifest)
    nodes = manifest["nodes"].values()
    views = {n["name"] for n in nodes if n["resource_type"] == "model" and n["config"]["materialized"] == "view"}
    seeds = {n["name"] for n in nodes if n["resource_type"] == "seed"}
    assert len(views) == 21 and len(seeds) == 3
    tests = {"model_rules_business_holidays", "model_rules_scorecard_kpis", "model_rules_state_timezones"}
    tests.add("model_rules_metricflow_time_spine")
    assert set(s.names) == views | seeds | {"metricflow_time_spine"} | tests
    # the views' rules read rows that change every day: never static
    assert not [n for n in s.names if n.startswith("model_rules_stg_")]
    assert {p["name"] for p in s.assets} == views | seeds | {"metricflow_time_spine"}
    assert s.relations["staging.stg_encounters"] == "view"
    assert s.relations["reference.business_holidays"] == "table"
    assert s.relations["marts.metricflow_time_spine"] == "table"


def _edited(manifest: dict, edit) -> str:
    m = copy.deepcopy(manifest)
    edit(m)
    return static_nodes(m).definition_hash


def test_a_changed_definition_changes_the_hash(manifest):
    base = static_nodes(manifest).definition_hash
    assert _edited(manifest, lambda m: None) == base

    def view_sql(m):
        m["nodes"]["model.collections.stg_encounters"]["raw_code"] += "\n-- edited"

    def seed_file(m):
        m["nodes"]["seed.collections.business_holidays"]["checksum"]["checksum"] = "0" * 64

    def view_config(m):
        m["nodes"]["model.collections.stg_disputes"]["config"]["alias"] = "stg_disputes_2"

    def macro(m):  # a macro the time spine calls
        m["macros"]["macro.collections.numbers"]["macro_sql"] += "\n"

    def seed_rule(m):
        test = next(n for n in m["nodes"].values() if n["name"] == "model_rules_state_timezones")
        test["test_metadata"]["kwargs"]["rules"].append({"name": "not_null_x", "not_null": "x"})

    def dbt_version(m):
        m["metadata"]["dbt_version"] = "9.9.9"

    hashes = {_edited(manifest, e) for e in (view_sql, seed_file, view_config, macro, seed_rule, dbt_version)}
    assert len(hashes) == 6 and base not in hashes

    def intermediate_model(m):  # not a static node: rebuilt every day anyway
        m["nodes"]["model.collections.int_guarantor_balances"]["raw_code"] += "\n-- edited"

    assert _edited(manifest, intermediate_model) == base


STATIC = StaticNodes(
    names=("stg_a", "seed_b", "model_rules_seed_b"),
    relations={"staging.stg_a": "view", "reference.seed_b": "table"},
    assets=(),
    definition_hash="h1",
)


def _tiny(path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA raw; CREATE SCHEMA staging; CREATE SCHEMA reference")
    con.execute("CREATE TABLE raw.a AS SELECT 1 AS x")
    con.execute("CREATE VIEW staging.stg_a AS SELECT x FROM raw.a")
    con.execute("CREATE TABLE reference.seed_b AS SELECT 'IL' AS state, 'America/Chicago' AS tz")
    return con


def test_the_second_run_skips_only_on_the_same_definitions_and_relations(tmp_path):
    con = _tiny(tmp_path / "w.duckdb")
    assert plan_static_build(con, STATIC, subset=False) == (False, None)  # a new warehouse: build all
    record_static_build(con, STATIC, "run-1")
    skip, recorded = plan_static_build(con, STATIC, subset=False)
    assert skip and recorded.run_id == "run-1"
    assert build_args(STATIC, skip) == [
        "build",
        "--exclude",
        "stg_a seed_b model_rules_seed_b",
        "--indirect-selection",
        "empty",
    ]
    con.execute("INSERT INTO raw.a VALUES (2)")  # new raw rows: the view stands
    assert plan_static_build(con, STATIC, subset=False)[0]
    assert not plan_static_build(con, STATIC, subset=True)[0]  # a subset of the assets: as selected
    edited = StaticNodes(STATIC.names, STATIC.relations, (), "h2")
    assert not plan_static_build(con, edited, subset=False)[0]  # a definition changed

    con.execute("CREATE OR REPLACE VIEW staging.stg_a AS SELECT x + 1 AS x FROM raw.a")  # another code version
    assert not plan_static_build(con, STATIC, subset=False)[0]
    record_static_build(con, STATIC, "run-2")
    assert plan_static_build(con, STATIC, subset=False)[0]
    con.execute("UPDATE reference.seed_b SET tz = 'America/New_York'")  # a seed loaded by another version
    assert not plan_static_build(con, STATIC, subset=False)[0]
    record_static_build(con, STATIC, "run-3")
    con.execute("CREATE OR REPLACE TABLE raw.a AS SELECT 1 AS y")  # what the view reads is gone
    assert not plan_static_build(con, STATIC, subset=False)[0]
    con.execute("CREATE OR REPLACE TABLE raw.a AS SELECT 1 AS x")
    assert plan_static_build(con, STATIC, subset=False)[0]
    con.execute("DROP VIEW staging.stg_a")  # gone
    assert not plan_static_build(con, STATIC, subset=False)[0]
    con.close()


def test_skip_static_is_pure():
    live = {"staging.stg_a": "v", "reference.seed_b": "t"}
    rec = Recorded("h1", dict(live), "r")
    assert skip_static(STATIC, rec, live, subset=False)
    assert not skip_static(STATIC, None, live, subset=False)
    assert not skip_static(STATIC, rec, live, subset=True)
    assert not skip_static(STATIC, rec, {**live, "reference.seed_b": None}, subset=False)
    assert not skip_static(STATIC, Recorded("h0", dict(live), "r"), live, subset=False)
    assert not skip_static(StaticNodes((), {}, (), "h1"), rec, live, subset=False)
    assert build_args(STATIC, False) == ["build"]


def _build(warehouse, *args: str):
    """`dbt build` in this process; its results by node name (nothing raised)."""
    from dbt.cli.main import dbtRunner

    os.environ["COLLECTIONS_WAREHOUSE_PATH"] = str(warehouse)
    target = _target_path()
    common = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    common += ["--target-path", str(target), "--log-path", str(target), "--quiet", "--no-use-colors"]
    res = dbtRunner(manifest=_manifest(warehouse)).invoke([*args, *common])
    _release_duckdb()
    return {r.node.name: str(r.status) for r in res.result or []}


@pytest.fixture(scope="module")
def built(tmp_path_factory, dbt_manifest):
    """A one-guarantor clinic after its first daily build (everything) and its record."""
    static = static_nodes(json.loads(dbt_manifest.read_text()))
    lz = Landing(tmp_path_factory.mktemp("static_nodes"))
    lz.guarantor("G1")
    lz.encounter("E1", "G1", service_date="2026-10-01", total_charge="120.00")
    wh = lz.build(as_of=AS_OF)
    con = duckdb.connect(str(wh.path))
    try:
        record_static_build(con, static, "first")
    finally:
        con.close()
    return wh.path


@pytest.fixture
def warehouse(built, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built, path)
    return path


def test_a_build_without_the_static_nodes_still_gates_on_the_staging_rules(warehouse, manifest):
    static = static_nodes(manifest)
    con = duckdb.connect(str(warehouse))
    try:
        skip, _ = plan_static_build(con, static, subset=False)
        assert skip
        views_before = relation_fingerprints(con, static.relations)
        con.execute("INSERT INTO raw.encounters SELECT * FROM raw.encounters")  # a duplicate behind the loaders
    finally:
        con.close()

    status = _build(warehouse, *build_args(static, skip))
    assert not set(static.names) & set(status)  # left out: views, seeds, time spine, their tables' tests
    assert status["model_rules_stg_encounters"] == "fail"  # the view's rules ran, on today's rows
    assert status["model_rules_stg_guarantors"] == "pass"
    children = [
        n["name"]
        for n in manifest["nodes"].values()
        if "model.collections.stg_encounters" in n["depends_on"].get("nodes", []) and n["resource_type"] == "model"
    ]
    assert children and all(status[c] == "skipped" for c in children), {c: status.get(c) for c in children}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert relation_fingerprints(con, static.relations) == views_before
    finally:
        con.close()


def test_a_failing_folded_rule_fails_its_rules_test_and_is_named(warehouse):
    """The former singular tests that read one model are `fails_when` rules of its rules test
    (docs/dbt-tests.md): a row that breaks one fails the test, named by the rule."""
    con = duckdb.connect(str(warehouse))
    try:
        n = con.execute(
            "UPDATE marts.rpt_weekly_scorecard SET denominator = 0, value = 1 "
            "WHERE scorecard_id = (SELECT min(scorecard_id) FROM marts.rpt_weekly_scorecard "
            "WHERE aggregation = 'ratio') RETURNING scorecard_id"
        ).fetchall()
        assert len(n) == 1
        for suffix in ("x", "y"):  # two due touches of G1 on the day
            con.execute(
                "INSERT INTO marts.fct_touches SELECT * REPLACE "
                f"('due' AS status, 'mail' AS channel, touch_id || '{suffix}' AS touch_id) "
                "FROM marts.fct_touches LIMIT 1"
            )
    finally:
        con.close()
    status = _build(warehouse, "test", "--select", "model_rules_rpt_weekly_scorecard", "model_rules_fct_touches")
    assert status == {"model_rules_rpt_weekly_scorecard": "fail", "model_rules_fct_touches": "fail"}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rules = {}
        for test in ("model_rules_rpt_weekly_scorecard", "model_rules_fct_touches"):
            for rule, key, _total in failing_rows(con, _compiled(test)):
                rules.setdefault(rule, set()).add(key)
    finally:
        con.close()
    assert rules["assert_placement_scorecard_ratios_consistent"] == {n[0][0]}
    assert set(rules) == {
        "assert_placement_scorecard_ratios_consistent",
        "assert_cadence_one_due_touch_per_guarantor",
        "assert_cadence_one_due_touch_per_household",
    }
    assert rules["assert_cadence_one_due_touch_per_guarantor"] == {"G1"}


def _compiled(test_name: str) -> str:
    (path,) = _target_path().glob(f"compiled/collections/**/{test_name}.sql")
    return path.read_text()


def test_the_static_assets_come_parents_first(manifest):
    """Dagster takes a multi-asset's materializations in topological order only."""
    order = [p["unique_id"] for p in static_nodes(manifest).assets]
    for i, uid in enumerate(order):
        assert not set(manifest["nodes"][uid]["depends_on"].get("nodes", [])) & set(order[i:])
    assert order.index("seed.collections.state_timezones") < order.index("model.collections.stg_guarantors")
