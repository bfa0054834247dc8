"""A failing gate visibly stops everything downstream of it."""

from __future__ import annotations

import json
import shutil

import dagster as dg
import pytest

from orchestration.actions.assets import AUDIENCE
from orchestration.core.settings import EXPECTATIONS_DIR
from tests.e2e.conftest import materialized, query, run_daily, run_stage

pytestmark = [pytest.mark.e2e, pytest.mark.slow(runs=2), pytest.mark.session_clinic]  # a fresh ingest, a whole run


def _failed_checks(result):
    return {
        (e.event_specific_data.asset_key.to_user_string(), e.event_specific_data.check_name)
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.event_specific_data.passed
    }


def test_failing_ge_suite_stops_the_warehouse(clinic, tmp_path, monkeypatch):
    monkeypatch.setenv("COLLECTIONS_WAREHOUSE_PATH", str(tmp_path / "fresh.duckdb"))  # loads everything anew
    monkeypatch.setenv("COLLECTIONS_OUTBOX_DIR", str(tmp_path / "outbox"))
    suites = tmp_path / "expectations"
    shutil.copytree(EXPECTATIONS_DIR, suites)
    suite = json.loads((suites / "raw_encounters.json").read_text())
    suite["expectations"].append(
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "total_charge", "max_value": 0},
            "meta": {"notes": "impossible on purpose: every charge is above 0"},
            "severity": "critical",
        }
    )
    (suites / "raw_encounters.json").write_text(json.dumps(suite))
    monkeypatch.setenv("COLLECTIONS_EXPECTATIONS_DIR", str(suites))

    result = run_daily()
    assert not result.success
    assert ("raw/encounters", "ge_raw_encounters") in _failed_checks(result)
    done = materialized(result)
    assert "raw/encounters" in done
    assert not any(k.startswith(("staging/", "intermediate/", "marts/")) for k in done)
    steps = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
    assert "warehouse_dbt" not in steps
    assert query("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'marts'")[0][0] == 0


def test_failing_dbt_test_skips_its_children(first_run, tmp_path, monkeypatch):
    # a copy of the day's warehouse, corrupted behind the loader's back: a duplicate encounter key
    import os

    import duckdb

    copy = tmp_path / "corrupt" / "warehouse.duckdb"  # named as the original: dbt partial-parses
    copy.parent.mkdir()
    shutil.copyfile(os.environ["COLLECTIONS_WAREHOUSE_PATH"], copy)
    monkeypatch.setenv("COLLECTIONS_WAREHOUSE_PATH", str(copy))
    monkeypatch.setenv("COLLECTIONS_OUTBOX_DIR", str(tmp_path / "outbox"))
    con = duckdb.connect(str(copy))
    con.execute("INSERT INTO raw.encounters SELECT * FROM raw.encounters LIMIT 1")
    con.close()
    result = run_daily()
    assert not result.success
    assert ("staging/stg_encounters", "model_rules_stg_encounters") in _failed_checks(result)
    # the check names the rule and the duplicated key (orchestration/warehouse/rule_failures.py)
    (duplicate,) = query("SELECT encounter_id FROM raw.encounters GROUP BY 1 HAVING count(*) > 1")
    (text,) = [
        e.event_specific_data.description
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.event_specific_data.check_name == "model_rules_stg_encounters"
    ]
    assert text == f"rule unique_encounter_id: 1 failing row(s): {duplicate[0]}"
    from orchestration.run import summary_lines

    summary = summary_lines(result)
    assert "  check failed: staging/stg_encounters model_rules_stg_encounters (ERROR)" in summary
    assert f"      rule unique_encounter_id: 1 failing row(s): {duplicate[0]}" in summary
    done = materialized(result)
    assert "staging/stg_encounters" in done
    for downstream in (
        "intermediate/int_encounter_responsibility",
        "marts/fct_encounter_balances",
        "marts/rpt_aging",
        "outreach/sms_batch",
        "outreach/statements",
        "serving/published",
    ):
        assert downstream not in done
    assert not (tmp_path / "outbox").exists()  # nothing left the building


def test_failing_audience_gate_sends_nothing(first_run_warehouse, tmp_path, monkeypatch):
    """The touch-audience suite fails → no outreach asset runs, no file is written, the ledger
    gains nothing."""
    import duckdb

    copy = tmp_path / "w" / "warehouse.duckdb"
    copy.parent.mkdir()
    shutil.copyfile(first_run_warehouse, copy)  # the marts as the first run built them
    con = duckdb.connect(str(copy))
    con.execute("DELETE FROM ops.send_ledger")  # today's touches are due again
    assert con.execute("SELECT count(*) FROM marts.fct_touch_audience").fetchone()[0] > 0  # a gate to fail
    con.close()
    monkeypatch.setenv("COLLECTIONS_WAREHOUSE_PATH", str(copy))
    monkeypatch.setenv("COLLECTIONS_OUTBOX_DIR", str(tmp_path / "outbox"))
    suites = tmp_path / "expectations"
    shutil.copytree(EXPECTATIONS_DIR, suites)
    suite = json.loads((suites / "touch_audience.json").read_text())
    suite["expectations"].append(
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "balance", "max_value": 0},
            "meta": {"notes": "impossible on purpose"},
            "severity": "critical",
        }
    )
    (suites / "touch_audience.json").write_text(json.dumps(suite))
    monkeypatch.setenv("COLLECTIONS_EXPECTATIONS_DIR", str(suites))

    # the gate and every step after it, on the marts the first run built (dbt built them before
    # the day's hand-offs, from the empty ledger the copy has again): ingest and dbt are not
    # under test, and the first run made them on the same files (tests/e2e/conftest.py run_stage)
    result = run_stage(dg.AssetCheckKey(AUDIENCE, "ge_touch_audience"))
    assert not result.success
    assert ("marts/fct_touch_audience", "ge_touch_audience") in _failed_checks(result)
    planned = {k.to_user_string() for k in result.job_def.asset_layer.selected_asset_keys}
    assert {f"outreach/{c}" for c in ("sms_batch", "email_batch", "statements", "call_list", "card_charges")} | {
        "serving/published"
    } <= planned  # the steps the gate must stop were in the run
    assert not any(k.startswith(("outreach/", "serving/")) for k in materialized(result))
    day = tmp_path / "outbox" / "2026-11-20"
    assert not any((day / d).exists() for d in ("sms", "email", "statements", "calls"))
    assert query("SELECT count(*) FROM ops.send_ledger")[0][0] == 0
