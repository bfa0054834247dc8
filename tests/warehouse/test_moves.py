"""Segment moves and servicing touches (issue 9) on hand-built scenarios: who gets each move,
who does not and why, and that a move the ledger already has is never planned again.

One landing zone, one guarantor per scenario, one build. As-of date Friday 2026-11-20, the
default policy: plans from 100, terms 3/6/12 by balance, manager approval above 6 payments,
installments on the 15th at least 10 days out, reminders 2 days before, grace 3 days;
hardship review notice 30 days before support_end; letters and refund notes only for events
of the last 14 days.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from tests.warehouse.harness import Landing

pytestmark = pytest.mark.slow(runs=1)  # scheduling: tests/conftest.py

AS_OF = date(2026, 11, 20)
FRESH_TS = "2026-11-20T12:00:00Z"
CADENCE = (
    ("sms_reminder", "sms"),
    ("statement_1", "mail"),
    ("email_context", "email"),
    ("live_call", "phone"),
    ("statement_2", "mail"),
)


def day(age: int) -> str:
    return (AS_OF - timedelta(days=age)).isoformat()


def tid(gid: str, key: str, step: str) -> str:
    """The deterministic touch id: md5(guarantor_id|move_key|step) (dbt.hash on DuckDB)."""
    return hashlib.md5(f"{gid}|{key}|{step}".encode()).hexdigest()


def contactable(lz: Landing, gid: str, **kw) -> None:
    base = dict(
        phone="(312) 555-0142",
        email=f"{gid.lower()}@example.com",
        address_line1="1 Main St",
        city="Springfield",
        postal_code="62701",
        sms_consent_at="2026-01-02T10:00:00Z",
        email_consent_at="2026-01-02T10:00:00Z",
        address_verified_at="2026-01-02",
    )
    base.update(kw)
    lz.guarantor(gid, **base)


def cadence_done(lz: Landing, gid: str, episode_start: str, *, but: tuple[str, ...] = ()) -> None:
    """The ledger has every cadence step of the episode (except `but`) sent on Nov 10."""
    for step, channel in CADENCE:
        if step not in but:
            lz.ledger(
                touch_id=f"L-{gid}-{step}",
                guarantor_id=gid,
                episode_start=episode_start,
                step=step,
                channel=channel,
                as_of_date="2026-11-10",
                status="sent",
                sent_at="2026-11-10 16:00:00",
            )


def pay(lz, t, gid, amount, on, **kw):
    lz.txn(t, gid, f"E-{gid}", posted_at=on, type="payment", amount=amount, **kw)


@pytest.fixture(scope="module")
def wh(tmp_path_factory, dbt_manifest):
    lz = Landing(tmp_path_factory.mktemp("moves"))
    contactable(lz, "FEED")
    lz.txn("T-FEED", "FEED", None, posted_at="2026-11-19", amount="5.00", updated_at=FRESH_TS)

    # --- plan offers: high_value_engaged (age 31-90, balance >= 1,000, a response) ---------
    contactable(lz, "M_OFFER")  # 1,490 -> 6 x 248.33 (last 248.35)
    lz.encounter("E-M_OFFER", "M_OFFER", service_date=day(50), total_charge="1500.00")
    pay(lz, "T-OFFER", "M_OFFER", "10.00", "2026-11-01")
    cadence_done(lz, "M_OFFER", day(50))
    contactable(lz, "M_OFFER_BIG", email_consent_at="")  # 4,990 -> up to 12, 6 offered; mail
    lz.encounter("E-M_OFFER_BIG", "M_OFFER_BIG", service_date=day(60), total_charge="5000.00")
    pay(lz, "T-OFFER-BIG", "M_OFFER_BIG", "10.00", "2026-11-01")
    cadence_done(lz, "M_OFFER_BIG", day(60))
    contactable(lz, "M_OFFER_CAP")  # a cadence step due too: the offer goes first
    lz.encounter("E-M_OFFER_CAP", "M_OFFER_CAP", service_date=day(50), total_charge="1500.00")
    pay(lz, "T-OFFER-CAP", "M_OFFER_CAP", "10.00", "2026-11-01")
    contactable(lz, "M_FRESH")  # segment fresh: no plan offer
    lz.encounter("E-M_FRESH", "M_FRESH", service_date=day(5), total_charge="1500.00")
    contactable(lz, "M_LOW")  # balance 50: below the plan minimum
    lz.encounter("E-M_LOW", "M_LOW", service_date=day(5), total_charge="50.00")

    # --- plan servicing --------------------------------------------------------------------
    for g in ("M_REM", "M_REM_EMAIL", "M_REM_NONE", "M_CHARGE", "M_CHARGE_NOCONSENT", "M_CHARGE_PAID", "M_PAUSED"):
        kw = {}
        if g == "M_REM_EMAIL":
            kw["sms_consent_at"] = ""
        if g == "M_REM_NONE":
            kw.update(sms_consent_at="", email_consent_at="")
        if g in ("M_CHARGE", "M_CHARGE_PAID", "M_PAUSED"):
            kw["card_on_file_consent_at"] = "2026-09-30T10:00:00Z"
        contactable(lz, g, **kw)
        lz.encounter(f"E-{g}", g, service_date="2026-09-01", total_charge="300.00")
    for g in ("M_REM", "M_REM_EMAIL", "M_REM_NONE"):  # #2 due Nov 22: remind on Nov 20
        lz.plan(
            f"P-{g}",
            g,
            created_at="2026-10-01T15:00:00Z",
            installment_amount="100.00",
            installment_count=3,
            first_due_date="2026-10-22",
        )
        pay(lz, f"T-{g}-1", g, "100.00", "2026-10-22", plan_id=f"P-{g}")
    for g in ("M_CHARGE", "M_CHARGE_NOCONSENT", "M_CHARGE_PAID"):  # #2 due Nov 20: charge
        lz.plan(
            f"P-{g}",
            g,
            created_at="2026-10-01T15:00:00Z",
            installment_amount="100.00",
            installment_count=3,
            first_due_date="2026-10-20",
            card_on_file="true",
        )
        pay(lz, f"T-{g}-1", g, "100.00", "2026-10-20", plan_id=f"P-{g}")
    pay(lz, "T-M_CHARGE_PAID-2", "M_CHARGE_PAID", "100.00", "2026-11-19", plan_id="P-M_CHARGE_PAID")
    # #1 (Oct 22) missed, grace to Oct 25: paused, call by Oct 28; #2 due Nov 22 not reminded
    lz.plan(
        "P-M_PAUSED",
        "M_PAUSED",
        created_at="2026-10-01T15:00:00Z",
        installment_amount="100.00",
        installment_count=3,
        first_due_date="2026-10-22",
        card_on_file="true",
    )
    # plan confirmation in statement 2's slot
    contactable(lz, "M_CONF")
    lz.encounter("E-M_CONF", "M_CONF", service_date=day(40), total_charge="600.00")
    lz.plan(
        "P-M_CONF",
        "M_CONF",
        created_at="2026-11-01T15:00:00Z",
        installment_amount="300.00",
        installment_count=2,
        first_due_date="2026-12-01",
    )
    cadence_done(lz, "M_CONF", day(40), but=("statement_2",))

    # --- dispute review ---------------------------------------------------------------------
    for g in ("M_DISP", "M_DISP_NOEMAIL"):
        contactable(lz, g, **({"email_consent_at": ""} if g == "M_DISP_NOEMAIL" else {}))
        lz.encounter(f"E-{g}", g, service_date="2026-09-20", total_charge="500.00", primary_payer_id="AETNA")
        lz.claim(
            f"E-{g}",
            payment_date="2026-10-15",
            charge="500.00",
            paid="300.00",
            pr="200.00",
            clp07=f"X-{g}",
            deductible="120.00",
            coinsurance="50.00",
            copay="30.00",
        )
        lz.dispute(f"D-{g}", g, opened_at="2026-11-15", encounter_id=f"E-{g}", reason="amount_incorrect")
    contactable(lz, "M_DISP_CONTACT")
    lz.encounter("E-M_DISP_CONTACT", "M_DISP_CONTACT", service_date=day(20), total_charge="80.00")
    lz.contact(
        "C-DOUBT",
        "M_DISP_CONTACT",
        occurred_at="2026-11-12T15:00:00Z",
        channel="inbound_call",
        direction="inbound",
        outcome="dispute_raised",
    )
    contactable(lz, "M_DISP_RESOLVED")
    lz.encounter("E-M_DISP_RESOLVED", "M_DISP_RESOLVED", service_date=day(20), total_charge="80.00")
    lz.dispute(
        "D-M_DISP_RESOLVED",
        "M_DISP_RESOLVED",
        opened_at="2026-10-01",
        resolved_at="2026-10-20",
        resolution="corrected",
        reason="billing_error",
    )

    # --- hardship ---------------------------------------------------------------------------
    for g in ("M_HA", "M_HA_OLD", "M_HD", "M_HD_DENIED", "M_HR", "M_HR_LATER"):
        contactable(lz, g)
        lz.encounter(f"E-{g}", g, service_date=day(45), total_charge="400.00")
    lz.hardship("H-HA", "M_HA", submitted_at="2026-11-15", outcome="pending")
    lz.hardship("H-HA-OLD", "M_HA_OLD", submitted_at="2026-10-01", outcome="pending")
    lz.hardship(
        "H-HD",
        "M_HD",
        submitted_at="2026-11-10",
        decided_at="2026-11-18",
        outcome="approved",
        relief="reduction",
        discount_pct="20",
        support_start="2026-11-18",
        support_end="2027-05-18",
    )
    lz.hardship("H-HD-DENIED", "M_HD_DENIED", submitted_at="2026-11-10", decided_at="2026-11-19", outcome="denied")
    lz.hardship(
        "H-HR",
        "M_HR",
        submitted_at="2026-05-20",
        decided_at="2026-06-01",
        outcome="approved",
        relief="extended_timeline",
        support_start="2026-06-01",
        support_end="2026-12-15",
    )
    lz.hardship(
        "H-HR-LATER",
        "M_HR_LATER",
        submitted_at="2026-05-20",
        decided_at="2026-06-01",
        outcome="approved",
        relief="extended_timeline",
        support_start="2026-06-01",
        support_end="2027-03-01",
    )

    # --- refund confirmations ---------------------------------------------------------------
    for g, refunded, kw in (
        ("M_REF", "2026-11-18", {}),
        ("M_REF_OLD", "2026-10-01", {}),
        ("M_REF_MAIL", "2026-11-18", {"email_consent_at": ""}),
        ("M_REF_DONE", "2026-11-17", {}),
        ("M_REF_DEAD", "2026-11-18", {"deceased_at": "2026-11-01"}),
    ):
        contactable(lz, g, **kw)
        lz.encounter(f"E-{g}", g, service_date="2026-08-01", total_charge="150.00")
        pay(lz, f"T-{g}-P", g, "200.00", "2026-09-01")
        lz.txn(f"T-{g}-R", g, f"E-{g}", posted_at=refunded, type="refund", amount="50.00")
    lz.contact(
        "C-COMPLAINT",
        "M_REF_DONE",
        occurred_at="2026-11-19T15:00:00Z",
        channel="call",
        direction="inbound",
        outcome="complaint",
    )
    lz.ledger(
        touch_id=tid("M_REF_DONE", "T-M_REF_DONE-R", "refund_confirmation"),
        guarantor_id="M_REF_DONE",
        step="refund_confirmation",
        channel="email",
        as_of_date="2026-11-18",
        status="sent",
        sent_at="2026-11-18 16:00:00",
    )
    # a card charge of the ledger is a payment, not an outreach attempt
    lz.ledger(
        touch_id="L-M_CHARGE-old",
        guarantor_id="M_CHARGE",
        step="plan_charge",
        channel="card",
        as_of_date="2026-10-20",
        status="sent",
        sent_at="2026-10-20 16:00:00",
    )
    return lz.build(  # the models the tests read, their parents and their dbt tests
        AS_OF,
        select="+fct_touch_audience +fct_touches +rpt_move_scorecard +rpt_hold_report +fct_queue_items "
        "+rpt_dispute_root_causes +fct_plan_charges +int_plan_status +int_plan_offers +int_outreach_attempts",
    )


def touch(wh, gid, step):
    rows = wh.dicts(
        "SELECT * FROM marts.fct_touches WHERE guarantor_id = ? AND step = ? AND is_planned_today", [gid, step]
    )
    assert len(rows) <= 1, rows
    return rows[0] if rows else None


def audience(wh, touch_id):
    return wh.dicts("SELECT * FROM marts.fct_touch_audience WHERE touch_id = ?", [touch_id])[0]


# --- plan calculator -----------------------------------------------------------------------------
def test_plan_calculator_terms_dates_and_amounts(wh):
    rows = {r["guarantor_id"]: r for r in wh.dicts("SELECT * FROM intermediate.int_plan_offers")}
    o = rows["M_OFFER"]
    assert (o["balance"], o["max_payments"], o["offered_payments"], o["needs_manager_approval"]) == (
        D("1490.00"),
        6,
        6,
        False,
    )
    assert (o["first_due_date"], o["last_due_date"], o["installment_day"]) == (
        date(2026, 12, 15),
        date(2027, 5, 15),
        15,
    )
    assert (o["installment_amount"], o["last_installment_amount"]) == (D("248.33"), D("248.35"))
    assert o["installment_amount"] * 5 + o["last_installment_amount"] == o["balance"]
    big = rows["M_OFFER_BIG"]
    assert (big["max_payments"], big["offered_payments"], big["needs_manager_approval"]) == (12, 6, True)
    assert rows["M_LOW"]["is_qualified"] is False and rows["M_LOW"]["not_qualified_reason"] == "below_min_balance"
    assert rows["M_REM"]["is_qualified"] is False and rows["M_REM"]["not_qualified_reason"] == "plan_in_force"
    assert rows["M_FRESH"]["is_qualified"] is True and rows["M_FRESH"]["max_payments"] == 6


def test_plan_offer_to_high_value_engaged_only(wh):
    t = touch(wh, "M_OFFER", "plan_offer")
    assert (t["status"], t["channel"], t["move_key"]) == ("due", "email", day(50))
    assert t["touch_id"] == tid("M_OFFER", day(50), "plan_offer")
    a = audience(wh, t["touch_id"])
    assert (a["plan_offer_payments"], a["plan_offer_amount"], a["plan_offer_first_due"]) == (
        6,
        D("248.33"),
        date(2026, 12, 15),
    )
    big = touch(wh, "M_OFFER_BIG", "plan_offer")
    assert (big["status"], big["channel"]) == ("due", "mail")  # no e-mail consent: letter
    assert audience(wh, big["touch_id"])["plan_offer_needs_approval"] is True
    assert touch(wh, "M_FRESH", "plan_offer") is None
    assert touch(wh, "M_LOW", "plan_offer") is None


def test_plan_offer_goes_before_the_cadence_step_of_the_day(wh):
    assert touch(wh, "M_OFFER_CAP", "plan_offer")["status"] == "due"
    step2 = touch(wh, "M_OFFER_CAP", "statement_2")
    assert (step2["status"], step2["hold_reason"]) == ("held", "guarantor_daily_cap")
    held = wh.one("SELECT rule FROM marts.rpt_hold_report WHERE touch_id = ?", [step2["touch_id"]])
    assert held == "guarantor_daily_cap"


# --- plan servicing ---------------------------------------------------------------------------------
def test_plan_reminder_two_days_before_by_consent(wh):
    r = touch(wh, "M_REM", "plan_reminder")
    assert (r["status"], r["channel"], r["move_key"], r["move_amount"], r["move_date"]) == (
        "due",
        "sms",
        "P-M_REM-2",
        D("100.00"),
        date(2026, 11, 22),
    )
    assert r["touch_id"] == tid("M_REM", "P-M_REM-2", "plan_reminder")
    assert touch(wh, "M_REM_EMAIL", "plan_reminder")["channel"] == "email"
    none = touch(wh, "M_REM_NONE", "plan_reminder")
    assert (none["status"], none["hold_reason"]) == ("skipped", "no_sms_consent")
    # the reminder wins the day; the cadence step waits (one touch per guarantor per day)
    assert touch(wh, "M_REM", "statement_2")["hold_reason"] == "guarantor_daily_cap"


def test_card_on_file_charge_with_consent_and_idempotency_key(wh):
    rows = wh.dicts("SELECT * FROM marts.fct_plan_charges")
    assert [(r["guarantor_id"], r["installment_id"], r["amount"]) for r in rows] == [
        ("M_CHARGE", "P-M_CHARGE-2", D("100.00"))
    ]
    assert rows[0]["idempotency_key"] == tid("M_CHARGE", "P-M_CHARGE-2", "plan_charge")
    no = touch(wh, "M_CHARGE_NOCONSENT", "plan_charge")
    assert (no["status"], no["hold_reason"]) == ("skipped", "no_card_on_file_consent")
    assert touch(wh, "M_CHARGE_PAID", "plan_charge") is None  # already paid
    # a charge is not a contact: the guarantor's cadence touch of the day is not capped by it
    assert wh.one("SELECT count(*) FROM marts.fct_touch_audience WHERE channel = 'card'") == 0


def test_missed_installment_pauses_and_queues_a_call(wh):
    assert wh.one("SELECT plan_state FROM intermediate.int_plan_status WHERE plan_id = 'P-M_PAUSED'") == "paused"
    assert touch(wh, "M_PAUSED", "plan_reminder") is None
    assert touch(wh, "M_PAUSED", "plan_charge") is None
    q = wh.one(
        "SELECT due_date FROM marts.fct_queue_items WHERE queue = 'plans_due' "
        "AND guarantor_id = 'M_PAUSED' AND reason LIKE 'missed installment%'"
    )
    assert q == date(2026, 10, 28)


def test_plan_confirmation_in_statement_2_slot_with_the_plan(wh):
    t = touch(wh, "M_CONF", "statement_2")
    assert (t["status"], t["variant"]) == ("due", "plan_confirmation")
    a = audience(wh, t["touch_id"])
    assert (a["plan_payments"], a["plan_amount"], a["plan_next_due"]) == (2, D("300.00"), date(2026, 12, 1))


# --- dispute review ---------------------------------------------------------------------------------
def test_dispute_review_is_the_only_outreach_during_a_dispute(wh):
    r = touch(wh, "M_DISP", "dispute_review")
    assert (r["status"], r["channel"], r["move_key"]) == ("due", "email", "D-M_DISP")
    a = audience(wh, r["touch_id"])
    assert (
        a["eob_charge"],
        a["eob_insurance_paid"],
        a["eob_deductible"],
        a["eob_coinsurance"],
        a["eob_copay"],
        a["eob_remains"],
    ) == (D("500.00"), D("300.00"), D("120.00"), D("50.00"), D("30.00"), D("200.00"))
    others = wh.dicts(
        "SELECT step, status, hold_reason FROM marts.fct_touches WHERE guarantor_id = 'M_DISP' "
        "AND is_planned_today AND step <> 'dispute_review' AND status <> 'skipped'"
    )
    assert others and all((o["status"], o["hold_reason"]) == ("held", "open_dispute") for o in others)
    no = touch(wh, "M_DISP_NOEMAIL", "dispute_review")
    assert (no["status"], no["hold_reason"]) == ("skipped", "no_email_consent")
    c = touch(wh, "M_DISP_CONTACT", "dispute_review")
    assert (c["status"], c["move_key"]) == ("due", "C-DOUBT")
    assert touch(wh, "M_DISP_RESOLVED", "dispute_review") is None


def test_dispute_queue_oldest_first_and_root_causes(wh):
    q = wh.rows("SELECT guarantor_id FROM marts.fct_queue_items WHERE queue = 'disputes_open' ORDER BY priority")
    assert [r[0] for r in q] == ["M_DISP", "M_DISP_NOEMAIL"] or [r[0] for r in q] == ["M_DISP_NOEMAIL", "M_DISP"]
    rc = wh.dicts("SELECT * FROM marts.rpt_dispute_root_causes ORDER BY dispute_month, reason")
    assert [
        (r["dispute_month"], r["reason"], r["payer_id"], r["carc"], r["disputes_opened"], r["disputes_open"])
        for r in rc
    ] == [
        (date(2026, 10, 1), "billing_error", "none", "none", 1, 0),  # no encounter named
        (date(2026, 11, 1), "amount_incorrect", "AETNA", "PR-1", 2, 2),
    ]
    assert rc[0]["resolved_in_patient_favour"] == 1


# --- hardship ---------------------------------------------------------------------------------------
def test_hardship_letters(wh):
    app = touch(wh, "M_HA", "hardship_application")
    assert (app["status"], app["channel"], app["move_key"]) == ("due", "mail", "H-HA")
    assert touch(wh, "M_HA", "statement_2")["hold_reason"] == "hardship_pending"
    assert touch(wh, "M_HA_OLD", "hardship_application") is None  # older than 14 days
    dec = touch(wh, "M_HD", "hardship_decision")
    assert dec["status"] == "due"
    a = audience(wh, dec["touch_id"])
    assert (a["hardship_outcome"], a["hardship_relief"], a["hardship_support_end"]) == (
        "approved",
        "reduction",
        date(2027, 5, 18),
    )
    assert touch(wh, "M_HD_DENIED", "hardship_decision")["status"] == "due"
    rev = touch(wh, "M_HR", "hardship_review")
    assert (rev["status"], rev["move_date"]) == ("due", date(2026, 12, 15))
    assert touch(wh, "M_HR_LATER", "hardship_review") is None
    assert touch(wh, "M_HR", "statement_2")["hold_reason"] == "hardship_active"


# --- refunds ----------------------------------------------------------------------------------------
def test_refund_confirmation(wh):
    r = touch(wh, "M_REF", "refund_confirmation")
    assert (r["status"], r["channel"], r["move_amount"], r["move_date"]) == (
        "due",
        "email",
        D("50.00"),
        date(2026, 11, 18),
    )
    assert r["touch_id"] == tid("M_REF", "T-M_REF-R", "refund_confirmation")
    assert audience(wh, r["touch_id"])["balance"] is None  # nothing is owed: no demand
    assert touch(wh, "M_REF_MAIL", "refund_confirmation")["channel"] == "mail"
    assert touch(wh, "M_REF_OLD", "refund_confirmation") is None
    dead = touch(wh, "M_REF_DEAD", "refund_confirmation")
    assert (dead["status"], dead["hold_reason"]) == ("held", "deceased")
    assert wh.one("SELECT rule FROM marts.rpt_hold_report WHERE touch_id = ?", [dead["touch_id"]]) == "deceased"


def test_a_move_in_the_ledger_is_not_planned_again(wh):
    assert touch(wh, "M_REF_DONE", "refund_confirmation") is None
    row = wh.dicts(
        "SELECT status, is_planned_today FROM marts.fct_touches WHERE touch_id = ?",
        [tid("M_REF_DONE", "T-M_REF_DONE-R", "refund_confirmation")],
    )
    assert row == [{"status": "sent", "is_planned_today": False}]


def test_moves_count_as_outreach_attempts_but_charges_do_not(wh):
    steps = {
        r[0]
        for r in wh.rows(
            "SELECT step FROM intermediate.int_outreach_attempts WHERE guarantor_id IN ('M_REF_DONE', 'M_CHARGE')"
        )
    }
    assert "refund_confirmation" in steps and "plan_charge" not in steps


def test_one_contact_per_guarantor_and_household_per_day(wh):
    assert wh.one("SELECT count(*) - count(DISTINCT guarantor_id) FROM marts.fct_touch_audience") == 0
    assert wh.one("SELECT count(*) - count(DISTINCT household_id) FROM marts.fct_touch_audience") == 0


def test_move_scorecard_counts_touches_and_complaints(wh):
    rows = wh.dicts(
        "SELECT * FROM marts.rpt_move_scorecard WHERE week_ending = '2026-11-22' AND step = 'refund_confirmation'"
    )
    assert [(r["touches"], r["complaints"], r["complaints_per_1000"], r["is_segment_move"]) for r in rows] == [
        (1, 1, 1000.0, True)
    ]
    assert wh.one("SELECT count(*) FROM marts.rpt_move_scorecard WHERE step = 'plan_charge'") == 0
