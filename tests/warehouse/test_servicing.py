"""docs/rules.md §6–7 on hand-built scenarios: plan installments (kept, missed, paused, defaulted,
paid early, biweekly), promises to pay, and refund work items (own open balances, household
credit sharing, overcharges, business-day due dates across holidays).

Policy defaults: grace 3 days, call within 3 days of a miss, 2 missed = defaulted, weekly sweep
on Monday, refunds due 5 business days after it, overcharges the same day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from tests.warehouse.harness import Landing

pytestmark = pytest.mark.slow(runs=1)  # scheduling: tests/conftest.py

AS_OF = date(2026, 11, 25)  # a Wednesday, the day before Thanksgiving


def pay(lz, tid, gid, eid, day, amount, **kw):
    return lz.txn(tid, gid, eid, posted_at=day, type="payment", amount=amount, **kw)


@pytest.fixture(scope="module")
def wh(tmp_path_factory, dbt_manifest):
    lz = Landing(tmp_path_factory.mktemp("servicing"))

    # --- plans: each guarantor owes a large self-pay visit the plan payments go to ----------
    for g in ("GP1", "GP2", "GP3", "GP4"):
        lz.guarantor(g)
        lz.encounter(f"E{g}", g, service_date="2026-07-01", total_charge="2000.00")
    # P1: 3 × 100 monthly from Sep 24: #1 kept, #2 short by 50 (80 paid, 30 reversed),
    # #3 due Nov 24 not judged yet (grace to Nov 27) → paused, call due Oct 27 + 3
    lz.plan(
        "P1",
        "GP1",
        created_at="2026-09-01T15:00:00Z",
        installment_amount="100.00",
        installment_count=3,
        first_due_date="2026-09-24",
    )
    pay(lz, "P1-1", "GP1", "EGP1", "2026-09-25", "100.00", plan_id="P1")
    pay(lz, "P1-2", "GP1", "EGP1", "2026-10-20", "80.00", plan_id="P1")
    lz.txn("P1-2R", "GP1", "EGP1", posted_at="2026-10-22", type="payment_reversal", amount="30.00", plan_id="P1")
    pay(lz, "P1-X", "GP1", "EGP1", "2026-10-25", "500.00")  # no plan_id: not plan money
    pay(lz, "P1-L", "GP1", "EGP1", "2026-11-26", "300.00", plan_id="P1")  # after the as-of date
    # P2: 3 × 50 monthly from Aug 5, nothing paid: #1 and #2 missed → defaulted at Sep 8;
    # #3 (Oct 5) falls due after the default: not in force
    lz.plan(
        "P2",
        "GP2",
        created_at="2026-07-20T15:00:00Z",
        installment_amount="50.00",
        installment_count=3,
        first_due_date="2026-08-05",
    )
    # P3: 3 × 100 monthly from Oct 15, all paid on Oct 1 (early)
    lz.plan(
        "P3",
        "GP3",
        created_at="2026-09-20T15:00:00Z",
        installment_amount="100.00",
        installment_count=3,
        first_due_date="2026-10-15",
    )
    pay(lz, "P3-1", "GP3", "EGP3", "2026-10-01", "300.00", plan_id="P3")
    # P4: biweekly, 4 installments of 60 for a total of 200 (last = 20), from Oct 1:
    # due Oct 1, 15, 29, Nov 12. #2 paid on its grace end; #3 missed; caught up for #4 → active
    lz.plan(
        "P4",
        "GP4",
        created_at="2026-09-15T15:00:00Z",
        installment_amount="60.00",
        installment_count=4,
        first_due_date="2026-10-01",
        frequency="biweekly",
        total_amount="200.00",
    )
    pay(lz, "P4-1", "GP4", "EGP4", "2026-10-01", "60.00", plan_id="P4")
    pay(lz, "P4-B", "GP4", "EGP4", "2026-10-10", "25.00", plan_id="P4")
    lz.txn("P4-BR", "GP4", "EGP4", posted_at="2026-10-12", type="payment_reversal", amount="25.00", plan_id="P4")
    pay(lz, "P4-2", "GP4", "EGP4", "2026-10-18", "60.00", plan_id="P4")
    pay(lz, "P4-3", "GP4", "EGP4", "2026-11-03", "80.00", plan_id="P4")

    # --- promises (grace 3 days) -------------------------------------------------------------
    for g in ("GR1", "GR2", "GR3", "GR4"):
        lz.guarantor(g)
        lz.encounter(f"E{g}", g, service_date="2026-08-01", total_charge="1000.00")
    # kept: 150 by Oct 15 (+3): 100 on Oct 5, 50 on Oct 17; the Sep 30 payment predates it
    pay(lz, "R1-0", "GR1", "EGR1", "2026-09-30", "500.00")
    lz.contact(
        "C1",
        "GR1",
        occurred_at="2026-10-01T15:00:00Z",
        outcome="promise_to_pay",
        promised_amount="150.00",
        promised_date="2026-10-15",
    )
    pay(lz, "R1-1", "GR1", "EGR1", "2026-10-05", "100.00")
    pay(lz, "R1-2", "GR1", "EGR1", "2026-10-17", "50.00")
    # broken: 200 by Oct 10 (+3): 100 on Oct 8, the other 100 only on Oct 20
    lz.contact(
        "C2",
        "GR2",
        occurred_at="2026-10-01T15:00:00Z",
        outcome="promise_to_pay",
        promised_amount="200.00",
        promised_date="2026-10-10",
    )
    pay(lz, "R2-1", "GR2", "EGR2", "2026-10-08", "100.00")
    pay(lz, "R2-2", "GR2", "EGR2", "2026-10-20", "100.00")
    # due Nov 23, grace to Nov 26: not judged yet (30 of 80 so far)
    lz.contact(
        "C3",
        "GR3",
        occurred_at="2026-11-20T15:00:00Z",
        outcome="promise_to_pay",
        promised_amount="80.00",
        promised_date="2026-11-23",
    )
    pay(lz, "R3-1", "GR3", "EGR3", "2026-11-21", "30.00")
    # not due yet (Dec 1), already paid in full
    lz.contact(
        "C4",
        "GR4",
        occurred_at="2026-11-20T15:00:00Z",
        outcome="promise_to_pay",
        promised_amount="80.00",
        promised_date="2026-12-01",
    )
    pay(lz, "R4-1", "GR4", "EGR4", "2026-11-21", "80.00")
    lz.contact("C5", "GR4", occurred_at="2026-11-20T16:00:00Z", outcome="connected")  # not a promise

    # --- credits -------------------------------------------------------------------------------
    # GC1: credit −120 on Oct 5, positive again Oct 20, negative again Nov 3 (−90) with an own
    # open encounter of 30 → sweep Mon Nov 9, due 5 business days later skipping Veterans Day
    lz.guarantor("GC1")
    lz.encounter("EC1A", "GC1", service_date="2026-10-01", total_charge="80.00")
    pay(lz, "C1-1", "GC1", "EC1A", "2026-10-05", "200.00")
    lz.encounter("EC1B", "GC1", service_date="2026-10-20", total_charge="150.00")
    pay(lz, "C1-2", "GC1", "EC1B", "2026-11-03", "120.00")
    # household H1: GH1A has a 50 credit, GH1B owes 30 → 30 applied, 20 refunded
    lz.guarantor("GH1A", household_id="H1")
    lz.guarantor("GH1B", household_id="H1")
    lz.encounter("EH1A", "GH1A", service_date="2026-10-01", total_charge="50.00")
    pay(lz, "H1-1", "GH1A", "EH1A", "2026-10-02", "100.00")
    lz.encounter("EH1B", "GH1B", service_date="2026-10-01", total_charge="30.00")
    # household H2: two credit holders (40, 25) share one open balance of 50
    for g in ("GH2A", "GH2B", "GH2C"):
        lz.guarantor(g, household_id="H2")
    lz.encounter("EH2A", "GH2A", service_date="2026-10-01", total_charge="10.00")
    pay(lz, "H2-1", "GH2A", "EH2A", "2026-10-02", "50.00")
    lz.encounter("EH2B", "GH2B", service_date="2026-10-01", total_charge="10.00")
    pay(lz, "H2-2", "GH2B", "EH2B", "2026-10-02", "35.00")
    lz.encounter("EH2C", "GH2C", service_date="2026-10-01", total_charge="50.00")
    # overcharge found today: paid in full, then a 40 overcharge adjustment → due today
    lz.guarantor("GOC")
    lz.encounter("EOC", "GOC", service_date="2026-11-01", total_charge="100.00")
    pay(lz, "OC-1", "GOC", "EOC", "2026-11-02", "100.00")
    lz.txn("OC-2", "GOC", "EOC", posted_at="2026-11-25", type="adjustment", amount="40.00", reason="overcharge")
    # Thanksgiving: overpaid Wed Nov 18 → sweep Mon Nov 23 → due Tue Dec 1 (Nov 26 skipped)
    lz.guarantor("GTG")
    lz.encounter("ETG", "GTG", service_date="2026-11-10", total_charge="60.00")
    pay(lz, "TG-1", "GTG", "ETG", "2026-11-18", "100.00")
    # an insurance-pending copay (Nov 1) waits: the credit starts with the Nov 10 overpayment
    lz.guarantor("GPE")
    lz.encounter("EPE1", "GPE", service_date="2026-11-01", total_charge="250.00", primary_payer_id="UHC")
    pay(lz, "PE-1", "GPE", "EPE1", "2026-11-01", "25.00")
    lz.encounter("EPE2", "GPE", service_date="2026-10-01", total_charge="10.00")
    pay(lz, "PE-2", "GPE", "EPE2", "2026-11-10", "30.00")
    return lz.build(
        AS_OF, select="+int_business_days +int_plan_status +int_promises +fct_plan_installments +fct_refund_items"
    )


def installments(wh, plan_id):
    return wh.dicts(
        "SELECT * FROM marts.fct_plan_installments WHERE plan_id = ? ORDER BY installment_number", [plan_id]
    )


def plan(wh, plan_id):
    (r,) = wh.dicts("SELECT * FROM intermediate.int_plan_status WHERE plan_id = ?", [plan_id])
    return r


def cols(rows, *names):
    return [tuple(r[n] for n in names) for r in rows]


# --- plans ---------------------------------------------------------------------------------------


def test_monthly_plan_kept_then_missed_is_paused_with_call_due(wh):
    rows = installments(wh, "P1")
    assert cols(
        rows, "installment_id", "due_date", "grace_end_date", "amount_due", "amount_paid_by_grace", "kept", "is_due"
    ) == [
        ("P1-1", date(2026, 9, 24), date(2026, 9, 27), D("100.00"), D("100.00"), True, True),
        ("P1-2", date(2026, 10, 24), date(2026, 10, 27), D("100.00"), D("50.00"), False, True),
        ("P1-3", date(2026, 11, 24), date(2026, 11, 27), D("100.00"), D("0.00"), None, True),
    ]
    assert rows[0]["as_of_date"] == AS_OF and rows[0]["policy_version"]
    p = plan(wh, "P1")
    assert (
        p["plan_state"],
        p["in_good_standing"],
        p["installments_due"],
        p["installments_kept"],
        p["installments_missed"],
        p["first_installment_kept"],
        p["call_due_date"],
        p["next_due_date"],
    ) == ("paused", False, 3, 1, 1, True, date(2026, 10, 30), None)


def test_two_missed_installments_default_the_plan(wh):
    rows = installments(wh, "P2")
    assert cols(rows, "due_date", "kept", "is_due", "is_scheduled") == [
        (date(2026, 8, 5), False, True, True),
        (date(2026, 9, 5), False, True, True),
        (date(2026, 10, 5), None, False, False),  # due after the default: not in force
    ]
    p = plan(wh, "P2")
    assert (
        p["plan_state"],
        p["status"],
        p["installments_missed"],
        p["installments_due"],
        p["defaulted_date"],
        p["in_good_standing"],
        p["call_due_date"],
        p["next_due_date"],
    ) == ("defaulted", "active", 2, 2, date(2026, 9, 8), False, None, None)


def test_plan_paid_early_is_kept_as_judged_and_covered_ahead(wh):
    rows = installments(wh, "P3")
    assert cols(rows, "due_date", "amount_paid_by_grace", "kept", "is_due", "is_covered") == [
        (date(2026, 10, 15), D("100.00"), True, True, True),
        (date(2026, 11, 15), D("100.00"), True, True, True),
        (date(2026, 12, 15), D("100.00"), None, False, True),  # paid, but not judged before its grace
    ]
    p = plan(wh, "P3")
    assert (p["plan_state"], p["in_good_standing"], p["is_paid_in_full"], p["next_due_date"]) == (
        "active",
        True,
        True,
        None,
    )


def test_biweekly_plan_with_remainder_last_installment_resumes_after_catch_up(wh):
    rows = installments(wh, "P4")
    assert cols(rows, "due_date", "amount_due", "amount_paid_by_grace", "kept") == [
        (date(2026, 10, 1), D("60.00"), D("60.00"), True),
        (date(2026, 10, 15), D("60.00"), D("60.00"), True),  # paid on its grace end; reversal nets out
        (date(2026, 10, 29), D("60.00"), D("0.00"), False),
        (date(2026, 11, 12), D("20.00"), D("20.00"), True),
    ]
    p = plan(wh, "P4")
    assert (p["plan_state"], p["installments_kept"], p["installments_missed"], p["call_due_date"]) == (
        "active",
        3,
        1,
        None,
    )


# --- promises ------------------------------------------------------------------------------------


def test_promises_kept_broken_and_not_yet_judged(wh):
    rows = {r["contact_id"]: r for r in wh.dicts("SELECT * FROM intermediate.int_promises")}
    assert set(rows) == {"C1", "C2", "C3", "C4"}
    got = {
        k: (r["promise_date"], r["promised_amount"], r["amount_paid"], r["kept"], r["is_due"], r["is_fulfilled"])
        for k, r in rows.items()
    }
    assert got == {
        "C1": (date(2026, 10, 1), D("150.00"), D("150.00"), True, True, True),
        "C2": (date(2026, 10, 1), D("200.00"), D("100.00"), False, True, False),
        "C3": (date(2026, 11, 20), D("80.00"), D("30.00"), None, True, False),
        "C4": (date(2026, 11, 20), D("80.00"), D("80.00"), None, False, True),
    }


# --- refunds -------------------------------------------------------------------------------------


def refunds(wh):
    return {r["guarantor_id"]: r for r in wh.dicts("SELECT * FROM marts.fct_refund_items")}


def test_refund_items_are_exactly_the_credits(wh):
    assert set(refunds(wh)) == {"GC1", "GH1A", "GH2A", "GH2B", "GOC", "GTG", "GPE"}


def test_credit_with_own_open_balance_and_holiday_in_due_date(wh):
    r = refunds(wh)["GC1"]
    assert (
        r["credit_amount"],
        r["own_open_balance_offset"],
        r["gross_credit_amount"],
        r["applied_within_household"],
        r["refund_amount"],
    ) == (D("90.00"), D("30.00"), D("120.00"), D("0.00"), D("90.00"))
    # went negative Oct 5, positive Oct 20, negative again Nov 3 (the credit's start)
    assert (
        r["credit_since"],
        r["credit_age_days"],
        r["sweep_date"],
        r["due_date"],
        r["is_overdue"],
        r["is_overcharge"],
    ) == (date(2026, 11, 3), 22, date(2026, 11, 9), date(2026, 11, 17), True, False)  # Nov 11 skipped


def test_household_member_credit_pays_another_members_balance(wh):
    r = refunds(wh)["GH1A"]
    assert (
        r["household_id"],
        r["credit_amount"],
        r["household_open_balance"],
        r["applied_within_household"],
        r["refund_amount"],
    ) == ("H1", D("50.00"), D("30.00"), D("30.00"), D("20.00"))


def test_two_credit_holders_share_one_open_balance_in_id_order(wh):
    rs = refunds(wh)
    got = [
        (g, rs[g]["credit_amount"], rs[g]["applied_within_household"], rs[g]["refund_amount"]) for g in ("GH2A", "GH2B")
    ]
    assert got == [("GH2A", D("40.00"), D("40.00"), D("0.00")), ("GH2B", D("25.00"), D("10.00"), D("15.00"))]


def test_overcharge_refund_is_due_the_same_day(wh):
    r = refunds(wh)["GOC"]
    assert (
        r["credit_amount"],
        r["refund_amount"],
        r["is_overcharge"],
        r["credit_since"],
        r["due_date"],
        r["is_overdue"],
    ) == (D("40.00"), D("40.00"), True, AS_OF, AS_OF, False)


def test_business_day_due_date_skips_thanksgiving(wh):
    r = refunds(wh)["GTG"]
    assert (r["credit_since"], r["sweep_date"], r["due_date"], r["credit_age_days"], r["is_overdue"]) == (
        date(2026, 11, 18),
        date(2026, 11, 23),
        date(2026, 12, 1),
        7,
        False,
    )


def test_pending_copay_does_not_start_the_credit(wh):
    r = refunds(wh)["GPE"]
    assert (r["credit_amount"], r["credit_since"], r["sweep_date"], r["due_date"]) == (
        D("20.00"),
        date(2026, 11, 10),
        date(2026, 11, 16),
        date(2026, 11, 23),
    )


def test_business_day_calendar(wh):
    rows = dict(
        wh.rows(
            "SELECT calendar_date, is_business_day FROM intermediate.int_business_days "
            "WHERE calendar_date BETWEEN DATE '2026-11-21' AND DATE '2026-11-30'"
        )
    )
    assert [d.day for d, ok in sorted(rows.items()) if ok] == [23, 24, 25, 27, 30]
