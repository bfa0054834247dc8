"""The real daily job on a small generated clinic: every stage runs, values are right, a
re-run changes nothing, and each defect of --defects ends as the landing contract says."""

from __future__ import annotations

import pytest

from orchestration.sample.generator import DEFECTS
from tests.e2e.conftest import materialized, query

# runs: the session's first run and its re-run (`rerun`), made once for the session clinic's modules
pytestmark = [pytest.mark.e2e, pytest.mark.slow(runs=2), pytest.mark.session_clinic]


def test_every_stage_materializes(first_run):
    keys = materialized(first_run)
    for k in (
        "raw/guarantors",
        "raw/remittance_claims",
        "raw/file_ledger",
        "staging/stg_encounters",
        "intermediate/int_encounter_adjudications",
        "marts/fct_remittance_claims",
        "marts/fct_encounter_balances",
        "marts/rpt_aging",
    ):
        assert k in keys


def test_aging_total_equals_open_encounter_balances(first_run):
    (aging,) = query("SELECT sum(dollars) FROM marts.rpt_aging")[0]
    (open_total,) = query("SELECT sum(balance) FROM marts.fct_encounter_balances WHERE balance > 0")[0]
    assert aging == open_total and aging > 0
    buckets = [r[0] for r in query("SELECT aging_bucket FROM marts.rpt_aging ORDER BY bucket_order")]
    assert buckets == ["0-30", "31-60", "61-90", "91-120", "121+"]
    (g,) = query("SELECT sum(guarantors) FROM marts.rpt_aging")[0]
    (distinct_g,) = query("SELECT count(DISTINCT guarantor_id) FROM marts.fct_encounter_balances WHERE balance > 0")[0]
    assert g == distinct_g


def test_balances_follow_the_rules(first_run):
    # balance = responsibility − payments − adjustments + refunds, for every row
    bad = query("""SELECT count(*) FROM marts.fct_encounter_balances
                   WHERE balance <> patient_responsibility - payments - adjustments + refunds""")[0][0]
    assert bad == 0
    # no insurance-pending encounter is patient A/R
    pending = query("""SELECT count(*) FROM marts.fct_encounter_balances b
                       JOIN intermediate.int_encounter_responsibility r USING (encounter_id)
                       WHERE r.responsibility_status = 'insurance_pending'""")[0][0]
    assert pending == 0
    # self-pay responsibility is the charge, dated on the service date
    wrong = query("""SELECT count(*) FROM marts.fct_encounter_balances
                     WHERE responsibility_status = 'self_pay'
                       AND (patient_responsibility <> total_charge OR balance_date <> service_date)""")[0][0]
    assert wrong == 0
    assert query("SELECT count(DISTINCT as_of_date), min(as_of_date) FROM marts.fct_encounter_balances")[0] == (
        1,
        __import__("datetime").date(2026, 11, 20),
    )


def _ledger(file):
    rows = query("SELECT status, reason, warnings FROM raw.file_ledger WHERE file_name = ?", [file])
    assert rows, f"{file} not in the ledger"
    return rows[0]


@pytest.mark.parametrize("defect", DEFECTS, ids=lambda d: f"{d['file']}:{d['reason']}")
def test_each_defect_ends_as_the_contract_says(first_run, defect):
    status, reason, warnings = _ledger(defect["file"])
    expected = defect["expected"]
    if expected == "quarantine":
        assert status in ("quarantined", "rejected_file")
        if defect["column"]:
            assert defect["column"] in reason
    elif expected == "reject rows":
        assert status.startswith("loaded")
        rej = query(
            "SELECT column_name, reason FROM raw.load_rejects WHERE file_name = ? AND line_number = ?",
            [defect["file"], defect["line"]],
        )
        assert any(col == defect["column"] for col, _ in rej), rej
        table = defect["kind"]
        key = {"guarantors": "guarantor_id", "encounters": "encounter_id", "patient_transactions": "transaction_id"}[
            table
        ]
        loaded = {r[0] for r in query(f"SELECT {key} FROM raw.{table} WHERE _file_name = ?", [defect["file"]])}
        assert set(defect["good_ids"]) <= loaded
        assert not (set(i for i in defect["bad_ids"] if i) & loaded)
    elif expected == "held transaction":
        held = query(
            "SELECT st_control_number, hold_reason FROM raw.remittance_transactions t "
            "JOIN raw.file_ledger l ON l.file_sha256 = t.file_sha256 "
            "WHERE l.file_name = ? AND t.status = 'held'",
            [defect["file"]],
        )
        assert [h[0] for h in held] == defect["bad_ids"] and "unbalanced" in held[0][1]
        ok = query(
            "SELECT count(*) FROM raw.remittance_claims c JOIN raw.remittance_transactions t "
            "USING (file_sha256, transaction_index) JOIN raw.file_ledger l ON l.file_sha256 = c.file_sha256 "
            "WHERE l.file_name = ? AND t.st_control_number = ?",
            [defect["file"], defect["good_ids"][0]],
        )[0][0]
        assert ok > 0
    elif expected == "warning":
        assert status == "loaded_with_warnings" and warnings
    elif expected == "duplicate":
        assert status == "duplicate"
    elif expected == "unmatched":
        rows = query(
            "SELECT encounter_id FROM marts.fct_remittance_claims WHERE patient_control_number = ?", defect["bad_ids"]
        )
        assert rows and all(r[0] is None for r in rows)


def test_rerun_loads_nothing_twice_and_gives_the_same_marts(rerun):
    before, after = rerun["before"], rerun["after"]
    assert rerun["result"].success
    assert after["file_ledger_rows"] == before["file_ledger_rows"]
    assert after["remittance_claims"] == before["remittance_claims"]
    assert after["rpt_aging"] == before["rpt_aging"]


def test_policy_version_on_every_mart_row(first_run):
    (v,) = query("SELECT policy_version FROM raw.policy")[0]
    for mart in ("fct_remittance_claims", "fct_encounter_balances", "rpt_aging"):
        assert query(f"SELECT DISTINCT policy_version FROM marts.{mart}") == [(v,)]
