"""docs/rules.md §1 episodes, §3 segments, §4 cadence and guardrails on hand-built scenarios.

One landing zone, one guarantor (or household) per scenario, one build; a second, tiny
landing zone for the run-wide freshness hold. As-of date: Friday 2026-11-20, clinic time zone
America/Chicago (the default policy).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import duckdb
import pytest

from tests.warehouse.harness import Landing, Warehouse, copy_warehouse, dbt_build, rebuild_selection

pytestmark = pytest.mark.slow(runs=1)  # scheduling: tests/conftest.py
# the models the tests read, their parents and their dbt tests (tests/README.md, "Making a test fast")
SELECT = (
    "+fct_touches +rpt_hold_report +dim_guarantor_status +int_protective_flags +int_hardship_status "
    "+int_guarantor_responses +int_dispute_status"
)

AS_OF = date(2026, 11, 20)
FRESH_TS = "2026-11-20T12:00:00Z"  # a posting row's updated_at (freshness reads file arrivals)


def day(age: int) -> str:
    """The service date that gives a self-pay encounter this age on AS_OF."""
    return (AS_OF - timedelta(days=age)).isoformat()


def contactable(lz: Landing, gid: str, **kw) -> None:
    """A guarantor every channel can reach (consents, phone, email, address)."""
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


def owes(lz: Landing, gid: str, age: int, amount: str = "150.00", eid: str | None = None) -> None:
    lz.encounter(eid or f"E-{gid}", gid, service_date=day(age), total_charge=amount)


def sent(lz: Landing, gid: str, episode_start: str, step: str, channel: str, on: str, status: str = "sent") -> None:
    lz.ledger(
        touch_id=f"L-{gid}-{episode_start}-{step}",
        guarantor_id=gid,
        episode_start=episode_start,
        step=step,
        channel=channel,
        as_of_date=on,
        status=status,
        sent_at=f"{on} 16:00:00",
    )


@pytest.fixture(scope="module")
def wh(tmp_path_factory, dbt_manifest):
    lz = Landing(tmp_path_factory.mktemp("cadence"))
    # a patient_transactions export (it arrives at 23:00 the evening before: fresh) on an
    # unrelated guarantor
    contactable(lz, "FEED")
    lz.txn("T-FEED", "FEED", None, posted_at="2026-11-19", amount="5.00", updated_at=FRESH_TS)

    # --- segments (docs/rules.md §3) -------------------------------------------------------------
    contactable(lz, "S_FRESH")
    owes(lz, "S_FRESH", 5)
    contactable(lz, "S_DISPUTE")
    owes(lz, "S_DISPUTE", 40)
    lz.dispute("D1", "S_DISPUTE", opened_at="2026-11-10")
    contactable(lz, "S_DISPUTE_CONTACT")
    owes(lz, "S_DISPUTE_CONTACT", 12)
    lz.contact(
        "C-DC",
        "S_DISPUTE_CONTACT",
        occurred_at="2026-11-15T15:00:00Z",
        channel="call",
        direction="inbound",
        outcome="dispute_raised",
    )
    contactable(lz, "S_DISPUTE_RESOLVED")
    owes(lz, "S_DISPUTE_RESOLVED", 12)  # contact, then resolved
    lz.contact(
        "C-DR",
        "S_DISPUTE_RESOLVED",
        occurred_at="2026-11-12T15:00:00Z",
        channel="portal",
        direction="outbound",
        outcome="dispute_raised",
    )
    lz.dispute("D2", "S_DISPUTE_RESOLVED", opened_at="2026-11-12", resolved_at="2026-11-16", resolution="corrected")
    contactable(lz, "S_SILENT")
    owes(lz, "S_SILENT", 100)
    lz.contact("C-SIL", "S_SILENT", occurred_at="2026-09-01T15:00:00Z", outcome="connected")  # 80 d ago
    contactable(lz, "S_ENGAGED")
    owes(lz, "S_ENGAGED", 45, "1500.00")
    lz.txn("T-ENG", "S_ENGAGED", "E-S_ENGAGED", posted_at="2026-10-31", amount="100.00")
    contactable(lz, "S_STALL")
    owes(lz, "S_STALL", 45, "300.00")
    contactable(lz, "S_STANDARD")
    owes(lz, "S_STANDARD", 45, "300.00")
    lz.txn("T-STD", "S_STANDARD", "E-S_STANDARD", posted_at="2026-11-01", amount="50.00")
    contactable(lz, "S_CREDIT")
    owes(lz, "S_CREDIT", 50, "80.00")
    lz.txn("T-CR", "S_CREDIT", "E-S_CREDIT", posted_at="2026-10-10", amount="100.00")

    # --- guarantor holds ---------------------------------------------------------------------
    contactable(lz, "H_HARDSHIP_PENDING")
    owes(lz, "H_HARDSHIP_PENDING", 5)
    lz.hardship("A1", "H_HARDSHIP_PENDING", submitted_at="2026-11-01", outcome="pending")
    contactable(lz, "H_HARDSHIP_ACTIVE")
    owes(lz, "H_HARDSHIP_ACTIVE", 5)
    lz.hardship(
        "A2",
        "H_HARDSHIP_ACTIVE",
        submitted_at="2026-10-01",
        decided_at="2026-10-05",
        outcome="approved",
        relief="reduction",
        support_start="2026-10-05",
        support_end="2027-04-05",
    )
    contactable(lz, "H_DECEASED", deceased_at="2026-11-10")
    owes(lz, "H_DECEASED", 5)
    contactable(lz, "H_BANKRUPT", bankruptcy_filed_at="2026-11-01")
    owes(lz, "H_BANKRUPT", 5)
    contactable(lz, "H_PLACED")
    owes(lz, "H_PLACED", 5)
    lz.agency("AG1", "H_PLACED", occurred_at="2026-11-18", event="acknowledged", placement_id="PL1")
    contactable(lz, "H_RECALLED")
    owes(lz, "H_RECALLED", 5)  # placed then recalled: not held
    lz.agency("AG2", "H_RECALLED", occurred_at="2026-11-01", event="acknowledged", placement_id="PL2")
    lz.agency("AG3", "H_RECALLED", occurred_at="2026-11-10", event="recall_ack", placement_id="PL2")

    # --- touch guardrails --------------------------------------------------------------------
    contactable(lz, "H_CALLS")
    owes(lz, "H_CALLS", 27)  # live_call (day 25) due
    for i in range(7):  # 7 calls in D-6..D
        lz.contact(f"C-CALL{i}", "H_CALLS", occurred_at=f"2026-11-{14 + i}T15:00:00Z", outcome="no_answer")
    contactable(lz, "H_CALLS_OK")
    owes(lz, "H_CALLS_OK", 27)  # 6 in the window, 1 older
    for i in range(7):
        lz.contact(f"C-CALLOK{i}", "H_CALLS_OK", occurred_at=f"2026-11-{13 + i}T15:00:00Z", outcome="voicemail")
    contactable(lz, "H_CONVERSATION")
    owes(lz, "H_CONVERSATION", 27)
    lz.contact("C-CONV", "H_CONVERSATION", occurred_at="2026-11-13T15:00:00Z", outcome="connected")  # D-7
    contactable(lz, "H_SENT_TODAY")
    owes(lz, "H_SENT_TODAY", 18)  # email_context due, but…
    sent(lz, "H_SENT_TODAY", day(18), "statement_1", "mail", AS_OF.isoformat())
    contactable(lz, "H_CHANGED")
    owes(lz, "H_CHANGED", 5)
    lz.txn("T-CHG", "H_CHANGED", "E-H_CHANGED", posted_at="2026-11-22", amount="20.00")
    # household: the older guarantor wins the household's one touch of the day
    contactable(lz, "HH_OLD", household_id="HH1")
    owes(lz, "HH_OLD", 8)
    contactable(lz, "HH_YOUNG", household_id="HH1")
    owes(lz, "HH_YOUNG", 6)
    # held anyway; no e-mail consent, so its dispute review (the one touch a dispute allows,
    # test_moves.py) is skipped and does not take the household's slot of the day
    contactable(lz, "HH_DISPUTED", household_id="HH1", email_consent_at="")
    owes(lz, "HH_DISPUTED", 9)
    lz.dispute("D3", "HH_DISPUTED", opened_at="2026-11-19")

    # --- cadence -----------------------------------------------------------------------------
    contactable(lz, "C_CATCHUP")
    owes(lz, "C_CATCHUP", 20)  # first run at day 20
    contactable(lz, "C_NO_SMS", sms_consent_at="")
    owes(lz, "C_NO_SMS", 5)
    contactable(lz, "C_SMS_OPTOUT", sms_opt_out_at="2026-06-01T10:00:00Z")
    owes(lz, "C_SMS_OPTOUT", 5)
    contactable(lz, "C_BAD_PHONE", phone="12345")
    owes(lz, "C_BAD_PHONE", 5)
    contactable(lz, "C_EMAIL_OPTOUT", email_opt_out_at="2026-06-01T10:00:00Z")
    owes(lz, "C_EMAIL_OPTOUT", 20)
    contactable(lz, "C_UNSUB", email="Unsub.Me@Example.com")
    owes(lz, "C_UNSUB", 19)
    lz.sendgrid_event(
        "unsubscribe",
        touch_id="X",
        guarantor_id=None,
        email="unsub.me@example.com ",
        timestamp=int(datetime(2026, 11, 1, 12).timestamp()),
    )
    contactable(lz, "C_RETURNED")
    owes(lz, "C_RETURNED", 12)
    lz.contact("C-RET", "C_RETURNED", occurred_at="2026-11-05T15:00:00Z", channel="letter", outcome="returned_mail")
    contactable(lz, "C_VERIFIED", address_verified_at="2026-04-01")
    owes(lz, "C_VERIFIED", 12)  # returned, then re-verified
    lz.contact("C-RET2", "C_VERIFIED", occurred_at="2026-03-05T15:00:00Z", channel="letter", outcome="returned_mail")
    contactable(lz, "C_WRONG_NUMBER")
    owes(lz, "C_WRONG_NUMBER", 26)
    lz.contact("C-WN", "C_WRONG_NUMBER", occurred_at="2026-11-01T15:00:00Z", outcome="wrong_number")
    contactable(lz, "C_NO_ADDRESS", address_line1="")
    owes(lz, "C_NO_ADDRESS", 40)
    contactable(lz, "C_DONE")
    owes(lz, "C_DONE", 12)  # both due steps in the ledger
    sent(lz, "C_DONE", day(12), "sms_reminder", "sms", "2026-11-11")
    sent(lz, "C_DONE", day(12), "statement_1", "mail", "2026-11-18", status="delivered")
    contactable(lz, "C_PLANNED")
    owes(lz, "C_PLANNED", 4)  # planned yesterday, never sent
    lz.ledger(
        touch_id="L-PLANNED",
        guarantor_id="C_PLANNED",
        episode_start=day(4),
        step="sms_reminder",
        channel="sms",
        as_of_date="2026-11-19",
        status="planned",
    )
    contactable(lz, "C_PLAN")
    owes(lz, "C_PLAN", 40, "600.00")
    lz.plan(
        "P1",
        "C_PLAN",
        created_at="2026-11-01",
        installment_amount="100.00",
        installment_count=6,
        first_due_date="2026-12-01",
    )
    # new episode: paid to 0 in July (old episode's touches in the ledger), owes again from Nov 10
    contactable(lz, "C_NEW_EPISODE")
    lz.encounter("E-NE1", "C_NEW_EPISODE", service_date="2026-06-01", total_charge="100.00")
    lz.txn("T-NE1", "C_NEW_EPISODE", "E-NE1", posted_at="2026-07-01", amount="100.00")
    lz.encounter("E-NE2", "C_NEW_EPISODE", service_date="2026-11-10", total_charge="200.00")
    for step, channel, on in (("sms_reminder", "sms", "2026-06-04"), ("statement_1", "mail", "2026-06-11")):
        sent(lz, "C_NEW_EPISODE", "2026-06-01", step, channel, on)
    # episode start waits on an insurance-pending encounter: copay in Oct, adjudicated Nov 5
    contactable(lz, "C_PENDING")
    lz.encounter("E-PD", "C_PENDING", service_date="2026-10-01", total_charge="300.00", primary_payer_id="AETNA")
    lz.txn("T-PD", "C_PENDING", "E-PD", posted_at="2026-10-01", amount="30.00")
    lz.txn("T-PD-OA", "C_PENDING", None, posted_at="2026-10-15", type="refund", amount="10.00")
    lz.claim("E-PD", payment_date="2026-11-05", charge="300.00", paid="200.00", pr="100.00", clp07="PD1")
    return lz.build(AS_OF, select=SELECT)


# --- helpers -------------------------------------------------------------------------------


def status(wh, gid):
    rows = wh.dicts("SELECT * FROM marts.dim_guarantor_status WHERE guarantor_id = ?", [gid])
    assert len(rows) == 1, rows
    return rows[0]


def touches(wh, gid):
    """{step: (status, hold_reason)} of a guarantor's touches in fct_touches."""
    return {
        r[0]: (r[1], r[2])
        for r in wh.rows("SELECT step, status, hold_reason FROM marts.fct_touches WHERE guarantor_id = ?", [gid])
    }


# --- episodes and segments -----------------------------------------------------------------


@pytest.mark.parametrize(
    "gid, segment, tier",
    [
        ("S_FRESH", "fresh", "small"),
        ("S_DISPUTE", "documentation_doubt", "small"),
        ("S_DISPUTE_CONTACT", "documentation_doubt", "small"),
        ("S_DISPUTE_RESOLVED", "fresh", "small"),
        ("S_SILENT", "silent_aged", "small"),
        ("S_ENGAGED", "high_value_engaged", "high"),
        ("S_STALL", "early_stall", "medium"),
        ("S_STANDARD", "standard", "medium"),
        ("H_PLACED", "fresh", "small"),
    ],
)
def test_segment_and_tier(wh, gid, segment, tier):
    s = status(wh, gid)
    assert (s["segment"], s["tier"]) == (segment, tier)


def test_segment_rows_carry_action_and_context(wh):
    s = status(wh, "S_ENGAGED")
    assert s["balance"] == D("1400.00") and s["age_days"] == 45
    assert s["next_best_action"] == "structured payment plan with dates"
    assert s["last_payment_date"] == s["last_response_date"] == date(2026, 10, 31)
    assert s["episode_start"] == date(2026, 10, 6) and s["first_statement_date"] == date(2026, 10, 16)
    assert s["as_of_date"] == AS_OF and s["policy_version"]
    assert status(wh, "S_SILENT")["last_response_date"] == date(2026, 9, 1)


def test_credit_has_no_tier_segment_or_episode(wh):
    s = status(wh, "S_CREDIT")
    assert s["balance"] == D("-20.00")
    assert (s["tier"], s["segment"], s["episode_start"], s["first_statement_date"]) == (None, None, None, None)
    assert touches(wh, "S_CREDIT") == {}


def test_every_guarantor_with_a_nonzero_balance_once(wh):
    ids = [r[0] for r in wh.rows("SELECT guarantor_id FROM marts.dim_guarantor_status")]
    assert len(ids) == len(set(ids))
    assert "C_PENDING" in ids and "FEED" in ids  # FEED: −5 on account
    assert wh.one("SELECT count(*) FROM marts.dim_guarantor_status WHERE balance = 0") == 0


def test_new_episode_after_balance_went_to_zero(wh):
    s = status(wh, "C_NEW_EPISODE")
    assert (s["episode_start"], s["age_days"], s["balance"]) == (date(2026, 11, 10), 10, D("200.00"))
    assert s["first_statement_date"] == date(2026, 11, 20)  # fallback: start + 10
    # the old episode's touches are history; this episode's steps are planned afresh
    rows = wh.rows(
        "SELECT episode_start, step, status, hold_reason FROM marts.fct_touches "
        "WHERE guarantor_id = 'C_NEW_EPISODE' ORDER BY episode_start, step"
    )
    assert rows == [
        (date(2026, 6, 1), "sms_reminder", "sent", None),
        (date(2026, 6, 1), "statement_1", "sent", None),
        (date(2026, 11, 10), "sms_reminder", "skipped", "superseded"),
        (date(2026, 11, 10), "statement_1", "due", None),
    ]


def test_episode_start_waits_on_pending_encounter(wh):
    # The Oct 1 copay (30) waits for the Nov 5 adjudication, so the on-account refund of 10 on
    # Oct 15 turns the running balance positive: episode from Oct 15 (had the copay counted on
    # Oct 1, the balance would be −20 until Nov 5). Balance: 100 − 30 + 10 = 80; age from Nov 5.
    s = status(wh, "C_PENDING")
    assert (s["balance"], s["episode_start"], s["age_days"]) == (D("80.00"), date(2026, 10, 15), 15)


def test_first_statement_from_the_ledger(wh):
    assert status(wh, "C_DONE")["first_statement_date"] == date(2026, 11, 18)
    assert status(wh, "H_SENT_TODAY")["first_statement_date"] == AS_OF


def test_dispute_hardship_placement_states(wh):
    d = {
        r[0]: r[1:]
        for r in wh.rows("SELECT dispute_id, is_open, age_days, resolved_date FROM intermediate.int_dispute_status")
    }
    assert d == {"D1": (True, 10, None), "D2": (False, 4, date(2026, 11, 16)), "D3": (True, 1, None)}
    h = {
        r[0]: r[1:]
        for r in wh.rows("SELECT guarantor_id, hardship_state, review_due_date FROM intermediate.int_hardship_status")
    }
    assert h == {"H_HARDSHIP_PENDING": ("pending", None), "H_HARDSHIP_ACTIVE": ("active", date(2027, 3, 6))}
    p = {
        r[0]: r[1:]
        for r in wh.rows(
            "SELECT guarantor_id, is_placed, placed_date, was_placed_before "
            "FROM intermediate.int_protective_flags WHERE was_placed_before"
        )
    }
    assert p == {"H_PLACED": (True, date(2026, 11, 18), True), "H_RECALLED": (False, None, True)}


def test_responses(wh):
    rows = wh.rows(
        "SELECT guarantor_id, response_type, response_date FROM intermediate.int_guarantor_responses "
        "WHERE guarantor_id IN ('S_DISPUTE_CONTACT', 'H_CONVERSATION', 'S_ENGAGED', 'H_CALLS', "
        "'H_CHANGED') ORDER BY 1"
    )
    assert rows == [
        ("H_CONVERSATION", "connected_call", date(2026, 11, 13)),  # no_answer calls: none
        ("S_DISPUTE_CONTACT", "inbound_contact", date(2026, 11, 15)),
        ("S_ENGAGED", "payment", date(2026, 10, 31)),
    ]  # H_CHANGED: after D


# --- guarantor holds -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "gid, reasons, extra",
    [
        ("S_DISPUTE", "open_dispute", {"has_open_dispute": True}),
        ("H_HARDSHIP_PENDING", "hardship_pending", {"hardship_state": "pending"}),
        ("H_HARDSHIP_ACTIVE", "hardship_active", {"hardship_state": "active"}),
        ("H_DECEASED", "deceased", {"is_deceased": True}),
        ("H_BANKRUPT", "bankrupt", {"is_bankrupt": True}),
        ("H_PLACED", "placed", {"is_placed": True}),
        ("H_RECALLED", None, {"is_placed": False}),
        ("S_FRESH", None, {}),
    ],
)
def test_guarantor_holds(wh, gid, reasons, extra):
    s = status(wh, gid)
    assert (s["on_hold"], s["hold_reasons"]) == (reasons is not None, reasons)
    for k, v in extra.items():
        assert s[k] == v, k


@pytest.mark.parametrize(
    "gid, step, rule",
    [
        ("S_DISPUTE", "statement_2", "open_dispute"),
        ("H_HARDSHIP_PENDING", "sms_reminder", "hardship_pending"),
        ("H_HARDSHIP_ACTIVE", "sms_reminder", "hardship_active"),
        ("H_DECEASED", "sms_reminder", "deceased"),
        ("H_BANKRUPT", "sms_reminder", "bankrupt"),
        ("H_PLACED", "sms_reminder", "placed"),
        ("H_CALLS", "live_call", "call_frequency"),
        ("H_CONVERSATION", "live_call", "recent_conversation"),
        ("H_SENT_TODAY", "email_context", "guarantor_daily_cap"),
        ("H_CHANGED", "sms_reminder", "changed_since_computed"),
        ("HH_YOUNG", "sms_reminder", "household_daily_cap"),
        ("HH_DISPUTED", "sms_reminder", "open_dispute"),
    ],
)
def test_held_touch_and_hold_report(wh, gid, step, rule):
    assert touches(wh, gid)[step] == ("held", rule)
    rep = wh.dicts("SELECT * FROM marts.rpt_hold_report WHERE guarantor_id = ?", [gid])
    assert [(r["step"], r["rule"]) for r in rep] == [(step, rule)]
    assert rep[0]["as_of_date"] == AS_OF
    tid = wh.one("SELECT touch_id FROM marts.fct_touches WHERE guarantor_id = ? AND step = ?", [gid, step])
    assert rep[0]["touch_id"] == tid


def test_hold_report_citations(wh):
    cites = dict(wh.rows("SELECT rule, citation FROM marts.rpt_hold_report"))
    assert cites["call_frequency"] == cites["recent_conversation"] == "12 CFR 1006.14(b)(2)"
    assert cites["open_dispute"] is None and cites["household_daily_cap"] is None


def test_hold_report_is_exactly_the_held_touches(wh):
    held = set(r[0] for r in wh.rows("SELECT touch_id FROM marts.fct_touches WHERE status = 'held'"))
    report = [r[0] for r in wh.rows("SELECT touch_id FROM marts.rpt_hold_report")]
    # 12 cadence holds, and 2 cadence steps that wait a day for the guarantor's segment move
    # (S_ENGAGED's plan offer, S_DISPUTE_CONTACT's dispute review: guarantor_daily_cap)
    assert sorted(report) == sorted(held) and len(report) == 14


def test_calls_under_the_limit_and_old_conversations_do_not_hold(wh):
    assert touches(wh, "H_CALLS_OK")["live_call"] == ("due", None)  # 6 calls in D-6..D
    assert touches(wh, "H_RECALLED")["sms_reminder"] == ("due", None)


def test_household_cap_winner_is_the_oldest(wh):
    assert touches(wh, "HH_OLD") == {"sms_reminder": ("due", None)}
    assert touches(wh, "HH_YOUNG") == {"sms_reminder": ("held", "household_daily_cap")}


# --- cadence -------------------------------------------------------------------------------


def test_due_touch_carries_id_timezone_and_window(wh):
    (t,) = wh.dicts("SELECT * FROM marts.fct_touches WHERE guarantor_id = 'S_FRESH'")
    assert (t["step"], t["channel"], t["status"], t["due_date"], t["cadence_day"], t["age_days"]) == (
        "sms_reminder",
        "sms",
        "due",
        AS_OF,
        3,
        5,
    )
    assert (t["timezone"], t["contact_window_start"], t["contact_window_end"]) == ("America/Chicago", "08:00", "21:00")
    assert (t["episode_start"], t["as_of_date"]) == (date(2026, 11, 15), AS_OF) and t["policy_version"]
    import hashlib

    assert t["touch_id"] == hashlib.md5(b"S_FRESH|2026-11-15|sms_reminder").hexdigest()


def test_catch_up_sends_only_the_latest_step(wh):
    assert touches(wh, "C_CATCHUP") == {
        "sms_reminder": ("skipped", "superseded"),
        "statement_1": ("skipped", "superseded"),
        "email_context": ("due", None),
    }
    # a held catch-up: only the latest is held, the rest superseded
    t = touches(wh, "S_DISPUTE")
    assert t.pop("statement_2") == ("held", "open_dispute")
    assert t.pop("dispute_review") == ("due", None)  # the only outreach during a dispute
    assert set(t.values()) == {("skipped", "superseded")} and len(t) == 4


@pytest.mark.parametrize(
    "gid, expected",
    [
        ("C_NO_SMS", {"sms_reminder": ("skipped", "no_sms_consent")}),
        ("C_SMS_OPTOUT", {"sms_reminder": ("skipped", "sms_opted_out")}),
        ("C_BAD_PHONE", {"sms_reminder": ("skipped", "invalid_phone")}),
        # a blocked latest step is skipped with its reason; the cadence carries on with the
        # latest step that can go
        (
            "C_EMAIL_OPTOUT",
            {
                "sms_reminder": ("skipped", "superseded"),
                "statement_1": ("due", None),
                "email_context": ("skipped", "email_opted_out"),
            },
        ),
        (
            "C_UNSUB",
            {
                "sms_reminder": ("skipped", "superseded"),
                "statement_1": ("due", None),
                "email_context": ("skipped", "email_unsubscribed"),
            },
        ),
        ("C_RETURNED", {"sms_reminder": ("due", None), "statement_1": ("skipped", "returned_mail")}),
        ("C_VERIFIED", {"sms_reminder": ("skipped", "superseded"), "statement_1": ("due", None)}),
        (
            "C_WRONG_NUMBER",
            {
                "sms_reminder": ("skipped", "wrong_number"),
                "statement_1": ("skipped", "superseded"),
                "email_context": ("due", None),
                "live_call": ("skipped", "wrong_number"),
            },
        ),
        (
            "C_NO_ADDRESS",
            {
                "sms_reminder": ("skipped", "superseded"),
                "statement_1": ("skipped", "no_address"),
                "email_context": ("skipped", "superseded"),
                "live_call": ("due", None),
                "statement_2": ("skipped", "no_address"),
            },
        ),
    ],
)
def test_blocked_channel_skipped_with_reason(wh, gid, expected):
    assert touches(wh, gid) == expected


def test_step_in_the_ledger_is_not_due_again(wh):
    assert touches(wh, "C_DONE") == {"sms_reminder": ("sent", None), "statement_1": ("delivered", None)}


def test_planned_but_unsent_step_stays_due(wh):
    assert touches(wh, "C_PLANNED") == {"sms_reminder": ("due", None)}


def test_plan_confirmation_in_statement_2_slot(wh):
    rows = wh.dicts(
        "SELECT step, status, variant FROM marts.fct_touches WHERE guarantor_id = 'C_PLAN' AND status = 'due'"
    )
    assert rows == [{"step": "statement_2", "status": "due", "variant": "plan_confirmation"}]


def test_at_most_one_due_touch_per_guarantor_and_household(wh):
    assert (
        wh.rows(
            "SELECT guarantor_id FROM marts.fct_touches WHERE status = 'due' GROUP BY guarantor_id HAVING count(*) > 1"
        )
        == []
    )
    assert (
        wh.rows(
            "SELECT household_id FROM marts.fct_touches WHERE status = 'due' GROUP BY household_id HAVING count(*) > 1"
        )
        == []
    )


# --- freshness (run-wide) -------------------------------------------------------------------


def test_stale_transactions_export_holds_every_touch(wh, tmp_path):
    """The same warehouse with an older patient_transactions export: the newest export arrived
    24 h 1 min before the run started (06:00 in Chicago = 12:00 UTC on the as-of date), whatever
    the dates of the rows inside it (docs/rules.md §4 "Freshness"). Rebuilt from the cadence
    models down (a full second build would double the module's time)."""
    stale = copy_warehouse(wh.path, tmp_path / "stale")
    con = duckdb.connect(str(stale))
    try:
        old = datetime(2026, 11, 19, 11, 59, tzinfo=UTC)
        con.execute(
            "UPDATE raw.file_ledger SET arrived_at = ?, mtime_ns = ? WHERE kind = 'patient_transactions'",
            [old.replace(tzinfo=None), int(old.timestamp()) * 10**9],
        )
    finally:
        con.close()
    dbt_build(stale, select=rebuild_selection("int_touch_guardrails", "+fct_touches +rpt_hold_report"))
    st = Warehouse(stale)
    assert touches(st, "S_FRESH") == {"sms_reminder": ("held", "stale_data")}
    assert st.one("SELECT count(*) FROM marts.fct_touches WHERE status = 'due'") == 0
    held = st.one("SELECT count(*) FROM marts.fct_touches WHERE status = 'held'")
    assert held == st.one("SELECT count(*) FROM marts.rpt_hold_report")
    assert held == st.one("SELECT count(*) FROM marts.rpt_hold_report WHERE all_rules LIKE '%stale_data%'")
    by_rule = dict(st.rows("SELECT rule, count(*) FROM marts.rpt_hold_report GROUP BY rule"))
    assert by_rule == {
        "open_dispute": 2,
        "hardship_pending": 1,
        "hardship_active": 1,
        "deceased": 1,
        "bankrupt": 1,
        "placed": 1,
        "stale_data": held - 7,
    }
