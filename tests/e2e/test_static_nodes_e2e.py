"""The daily job's second run on the same warehouse leaves the static dbt nodes (views, seeds,
time spine and their tables' tests: orchestration/warehouse/static_nodes.py) out of `dbt build`,
still materializes them in Dagster (unchanged) and still runs the staging views' rules; the
first run, on a new warehouse, builds and tests everything."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import query

pytestmark = [pytest.mark.e2e, pytest.mark.session_clinic]


def _checks(result) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def _materializations(result) -> dict[str, dict]:
    out = {}
    for e in result.all_events:
        if e.event_type_value == "ASSET_MATERIALIZATION":
            m = e.event_specific_data.materialization
            out[m.asset_key.to_user_string()] = {k: v.value for k, v in m.metadata.items()}
    return out


def _steps(result, event_type: str) -> set[str]:
    return {e.step_key for e in result.all_events if e.event_type_value == event_type}


def test_the_second_run_leaves_the_static_nodes_out_and_still_runs_the_staging_rules(first_run, rerun, dbt_manifest):
    from orchestration.warehouse.static_nodes import static_nodes

    static = static_nodes(json.loads(dbt_manifest.read_text()))
    result = rerun["result"]
    assert result.success, "\n".join(
        e.event_specific_data.error.to_string() for e in result.all_events if e.is_step_failure
    )
    first, second = _checks(first_run), _checks(result)
    static_tests = {n for n in static.names if n.startswith("model_rules_")}
    assert static_tests and static_tests <= set(first)  # a new warehouse: every test ran
    assert set(second) == set(first) - static_tests
    staging_rules = {c for c in second if c.startswith("model_rules_stg_")}
    assert len(staging_rules) >= 20 and all(second[c] for c in staging_rules)

    built_first, built_second = _materializations(first_run), _materializations(result)
    for key in ("staging/stg_encounters", "reference/business_holidays", "marts/metricflow_time_spine"):
        assert built_first[key].get("rebuilt") is None  # built by dbt
        assert built_second[key]["rebuilt"] is False  # unchanged, still materialized for the date
    assert built_second["marts/rpt_aging"].get("rebuilt") is None  # the tables are rebuilt
    assert "serving/published" in built_second  # downstream of the time spine: runs
    # no step skipped for the checks not evaluated (the static tables' rules): every step of the
    # first run ran again
    assert _steps(result, "STEP_SKIPPED") == set()
    assert _steps(result, "STEP_SUCCESS") == _steps(first_run, "STEP_SUCCESS")

    ((run_id,),) = query("SELECT run_id FROM ops.dbt_static_nodes")
    assert run_id == first_run.run_id  # recorded by the run that built them


def test_the_dbt_step_says_how_many_models_it_builds_at_once(first_run_capture):
    """A small clinic's models are built two at a time (orchestration/warehouse/threads.py), and
    the dbt step's log says so with the number of guarantors it chose by."""
    import duckdb

    con = duckdb.connect(str(first_run_capture["warehouse"]), read_only=True)  # as the run left it
    try:
        guarantors = con.execute("SELECT count(*) FROM raw.guarantors").fetchone()[0]
    finally:
        con.close()
    said = [
        e.user_message
        for e in first_run_capture["entries"]
        if e.step_key == "warehouse_dbt" and e.user_message.startswith("dbt builds ")
    ]
    assert guarantors >= 150
    assert said == [f"dbt builds 2 model(s) at a time ({guarantors:,} guarantors loaded)"]
