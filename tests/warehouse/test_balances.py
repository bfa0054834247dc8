"""docs/rules.md §1–2 on hand-built scenarios: adjudication order, reversals, secondary
supersedes primary, insurance pending, postings, on-account money, credits, aging."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from tests.warehouse.harness import Landing

pytestmark = pytest.mark.slow(runs=1)  # scheduling: tests/conftest.py

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def wh(tmp_path_factory, dbt_manifest):
    lz = Landing(tmp_path_factory.mktemp("balances"))
    for g in ("G1", "G2", "G3", "G4", "G5", "G6"):
        lz.guarantor(g)
    # G1: self-pay 300, paid 50, one payment reversed (+20), adjusted 10 → 260
    lz.encounter("E1", "G1", service_date="2026-10-01", total_charge="300.00")
    lz.txn("T1", "G1", "E1", posted_at="2026-10-05", amount="50.00")
    lz.txn("T2", "G1", "E1", posted_at="2026-10-06", amount="20.00")
    lz.txn("T3", "G1", "E1", posted_at="2026-10-07", type="payment_reversal", amount="20.00")
    lz.txn("T4", "G1", "E1", posted_at="2026-10-08", type="adjustment", amount="10.00", reason="prompt_pay")
    lz.txn("T5", "G1", "E1", posted_at="2026-11-25", amount="100.00")  # after as-of: ignored
    # G2: primary 100 (Sep 10), secondary 30 (Sep 1, earlier!) supersedes whatever the dates
    lz.encounter(
        "E2",
        "G2",
        service_date="2026-08-20",
        total_charge="500.00",
        primary_payer_id="AETNA",
        secondary_payer_id="BCBS",
    )
    lz.claim("E2", payment_date="2026-09-10", charge="500.00", paid="400.00", pr="100.00", clp07="P2")
    lz.claim(
        "E2", payment_date="2026-09-01", charge="500.00", paid="70.00", pr="30.00", clp07="S2", status="2", payer="BCBS"
    )
    # G3: primary 200, reversed, re-adjudicated 120 with the same CLP07 → 120 from the last date
    lz.encounter("E3", "G3", service_date="2026-07-01", total_charge="400.00", primary_payer_id="AETNA")
    lz.claim("E3", payment_date="2026-07-20", charge="400.00", paid="200.00", pr="200.00", clp07="R3")
    lz.claim("E3", payment_date="2026-08-01", charge="-400.00", paid="-200.00", pr="-200.00", clp07="R3", status="22")
    lz.claim(
        "E3",
        payment_date="2026-08-01",
        charge="400.00",
        paid="280.00",
        pr="120.00",
        clp07="R3",
        payer="AETNA",
        status="1",
        deductible="20.00",
        copay="100.00",
    )
    # G4: insured, not adjudicated: pending, its copay waits; on-account payment 15 → credit −15
    lz.encounter("E4", "G4", service_date="2026-11-01", total_charge="250.00", primary_payer_id="UHC")
    lz.txn("T6", "G4", "E4", posted_at="2026-11-01", amount="25.00")
    lz.txn("T7", "G4", None, posted_at="2026-11-02", amount="15.00")
    # G5: reversal that leaves nothing → insurance pending again
    lz.encounter("E5", "G5", service_date="2026-06-01", total_charge="90.00", primary_payer_id="AETNA")
    lz.claim("E5", payment_date="2026-06-20", charge="90.00", paid="60.00", pr="30.00", clp07="R5")
    lz.claim("E5", payment_date="2026-07-20", charge="-90.00", paid="-60.00", pr="-30.00", clp07="R5", status="22")
    # G6: overpaid self-pay: 80 charged, 100 paid → −20 credit, not in aging
    lz.encounter("E6", "G6", service_date="2026-03-01", total_charge="80.00")
    lz.txn("T8", "G6", "E6", posted_at="2026-03-02", amount="100.00")
    # G6 also: an old open self-pay encounter (age 200 → 121+)
    lz.encounter("E7", "G6", service_date="2026-05-04", total_charge="45.50")
    return lz.build(AS_OF, select="+int_guarantor_balances +fct_encounter_balances +fct_remittance_claims +rpt_aging")


def bal(wh, eid):
    return wh.dicts("SELECT * FROM marts.fct_encounter_balances WHERE encounter_id = ?", [eid])


def test_self_pay_postings_and_reversal(wh):
    (r,) = bal(wh, "E1")
    assert (r["patient_responsibility"], r["payments"], r["adjustments"], r["refunds"], r["balance"]) == (
        D("300.00"),
        D("50.00"),
        D("10.00"),
        D("0.00"),
        D("240.00"),
    )
    assert r["balance_date"] == date(2026, 10, 1) and r["age_days"] == 50 and r["aging_bucket"] == "31-60"


def test_secondary_supersedes_primary_whatever_the_dates(wh):
    (r,) = bal(wh, "E2")
    assert r["patient_responsibility"] == D("30.00") and r["balance_date"] == date(2026, 9, 1)


def test_reversal_cancels_same_clp07_and_correction_stands(wh):
    (r,) = bal(wh, "E3")
    assert r["patient_responsibility"] == D("120.00") and r["balance_date"] == date(2026, 8, 1)


def test_pending_encounters_are_not_ar_and_postings_wait(wh):
    assert bal(wh, "E4") == [] and bal(wh, "E5") == []
    g4 = wh.dicts("SELECT * FROM intermediate.int_guarantor_balances WHERE guarantor_id = 'G4'")[0]
    assert g4["balance"] == D("-15.00") and g4["on_account_balance"] == D("-15.00")


def test_credit_kept_and_outside_aging(wh):
    (r,) = bal(wh, "E6")
    assert r["balance"] == D("-20.00") and r["aging_bucket"] is None
    g6 = wh.dicts("SELECT * FROM intermediate.int_guarantor_balances WHERE guarantor_id = 'G6'")[0]
    assert g6["balance"] == D("25.50") and g6["age_days"] == 200


def test_aging_table(wh):
    rows = {r[0]: r[1:] for r in wh.rows("SELECT aging_bucket, encounters, guarantors, dollars FROM marts.rpt_aging")}
    assert rows == {
        "0-30": (0, 0, D("0.00")),
        "31-60": (1, 1, D("240.00")),
        "61-90": (1, 1, D("30.00")),  # E2: Sep 1 → 80 days
        "91-120": (1, 1, D("120.00")),  # E3: Aug 1 → 111 days
        "121+": (1, 1, D("45.50")),  # E7
    }


def test_remittance_facts(wh):
    rows = wh.dicts(
        "SELECT claim_status, patient_responsibility, pr_deductible, pr_copay, encounter_id "
        "FROM marts.fct_remittance_claims WHERE encounter_id = 'E3' ORDER BY payment_date, claim_status"
    )
    assert [(r["claim_status"], r["patient_responsibility"]) for r in rows] == [
        ("1", D("200.00")),
        ("1", D("120.00")),
        ("22", D("-200.00")),
    ]
    assert rows[1]["pr_deductible"] == D("20.00") and rows[1]["pr_copay"] == D("100.00")
