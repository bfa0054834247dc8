"""docs/rules.md §8 placement eligibility, §9 work queues, §10 weekly scorecard and huddle, on one
hand-built landing zone.

As-of date: Wednesday 2026-11-18 (default policy: placement ≥ 25, ≥ 120 days since the first
statement or ≥ 90 for silent_aged, ≥ 3 attempts over ≥ 2 channels, no payment in 30 days,
mailed statement not returned after 30 days; weeks end on Sunday). The scorecard's week under
test is W = Mon 2026-11-09 … Sun 2026-11-15 (the latest complete week), compared with W−1 =
2026-11-02 … 2026-11-08 in the huddle; nothing else in the scenario is dated in those weeks.

The placement ledger (ops.placement_ledger) is created by the test before the build, as the
ops DDL will once it is in orchestration/raw/schema.py (CREATE TABLE IF NOT EXISTS: the two
never conflict).
"""

from __future__ import annotations

import hashlib
import os
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import duckdb
import pytest

from tests.warehouse.harness import Landing, Warehouse, copy_warehouse, dbt_build

pytestmark = pytest.mark.slow(runs=1)  # scheduling: tests/conftest.py

AS_OF = date(2026, 11, 18)
W_END = date(2026, 11, 15)  # the week under test: Nov 9 – 15
W_PREV = date(2026, 11, 8)  # Nov 2 – 8
FRESH_TS = "2026-11-18T12:00:00Z"

PLACEMENT_LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS ops.placement_ledger (
    placement_id VARCHAR PRIMARY KEY, batch_id VARCHAR, guarantor_id VARCHAR, encounter_id VARCHAR,
    placed_at DATE, balance_placed DECIMAL(18,2), bureau_reportable BOOLEAN, policy_version VARCHAR,
    status VARCHAR, recalled_at DATE, recall_reason VARCHAR, created_at TIMESTAMP
)"""

ELIGIBLE = {"P_OK", "P_SILENT90", "P_BUREAU", "NP_OK", "NP_LATE", "NP_DAYS"}
ONE_RULE = {  # guarantor → the one rule it fails
    "P_MIN_BAL": "min_balance",
    "P_STD95": "days_since_first_statement",
    "P_CADENCE": "cadence_complete",
    "P_ATTEMPTS": "documented_attempts",
    "P_ONE_CHANNEL": "documented_attempts",
    "P_DISPUTE": "open_dispute",
    "P_HARDSHIP": "hardship",
    "P_PLAN": "active_plan_in_good_standing",
    "P_DECEASED": "deceased",
    "P_BANKRUPT": "bankrupt",
    "P_PLACED": "already_placed",
    "P_AGENCY": "already_placed",
    "P_PAYMENT": "recent_payment",
    "P_NO_PROOF": "proof_of_contact",
}


def ago(n: int) -> str:
    return (AS_OF - timedelta(days=n)).isoformat()


class PlacementLanding(Landing):
    """The scenario harness plus the placement ledger and ERA file arrival times."""

    def __init__(self, root: Path):
        super().__init__(root)
        self.placements: list[dict] = []
        self.era_lag_hours: list[float] = []

    def placement(self, pid: str, gid: str, *, placed_at: str, balance: str, **kw) -> None:
        row = dict(
            placement_id=pid,
            batch_id=kw.pop("batch_id", f"B-{placed_at}"),
            guarantor_id=gid,
            encounter_id=kw.pop("encounter_id", None),
            placed_at=placed_at,
            balance_placed=balance,
            bureau_reportable=kw.pop("bureau_reportable", False),
            policy_version="test",
            status=kw.pop("status", "placed"),
            created_at=f"{placed_at} 18:00:00",
            **kw,
        )
        self.placements.append(row)

    def write(self) -> Path:
        landing = super().write()
        # ERA files arrive era_lag_hours before they are loaded (file time = arrival)
        now = time.time()
        for path, hours in zip(sorted((landing / "era").glob("*.835")), self.era_lag_hours, strict=False):
            t = now - hours * 3600
            os.utime(path, (t, t))
        return landing

    def build(self, as_of: date, **kw) -> Warehouse:
        wh = self.root / "warehouse.duckdb"
        con = duckdb.connect(str(wh))
        try:
            con.execute("CREATE SCHEMA IF NOT EXISTS ops")
            con.execute(PLACEMENT_LEDGER_DDL)
            insert_placements(con, self.placements)
        finally:
            con.close()
        return super().build(as_of, **kw)


def insert_placements(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    for row in rows:
        cols = ", ".join(row)
        con.execute(
            f"INSERT INTO ops.placement_ledger ({cols}) VALUES ({', '.join('?' * len(row))})", list(row.values())
        )


def contactable(lz: Landing, gid: str, **kw) -> None:
    base = dict(
        phone="(312) 555-0142",
        email=f"{gid.lower()}@example.com",
        address_line1="1 Main St",
        city="Springfield",
        postal_code="62701",
        sms_consent_at="2025-01-02T10:00:00Z",
        email_consent_at="2025-01-02T10:00:00Z",
        address_verified_at="2025-01-02",
    )
    base.update(kw)
    lz.guarantor(gid, **base)


def touch(
    lz: Landing,
    gid: str,
    episode: str,
    step: str,
    channel: str,
    on: str,
    status: str = "sent",
    reason: str | None = None,
) -> None:
    lz.ledger(
        touch_id=f"L-{gid}-{step}",
        guarantor_id=gid,
        episode_start=episode,
        step=step,
        channel=channel,
        as_of_date=on,
        status=status,
        status_reason=reason,
        sent_at=f"{on} 16:00:00" if status in ("sent", "delivered") else None,
    )


def placeable(
    lz: Landing, gid: str, *, age: int = 200, charge: str = "600.00", steps: dict | None = None, **guarantor
) -> str:
    """A guarantor eligible for placement unless a scenario changes one thing: a self-pay visit
    `age` days old (= episode start), the whole cadence done (sms delivered, statement 1 and the
    email sent, the call skipped with a reason, statement 2 sent) → 4 attempts over 3 channels,
    proof of contact, first statement at day 10."""
    contactable(lz, gid, **guarantor)
    start = ago(age)
    lz.encounter(f"E-{gid}", gid, service_date=start, total_charge=charge)
    cadence = {
        "sms_reminder": (3, "sms", "delivered", None),
        "statement_1": (10, "mail", "sent", None),
        "email_context": (18, "email", "sent", None),
        "live_call": (25, "phone", "skipped", "no_phone"),
        "statement_2": (35, "mail", "sent", None),
    }
    cadence.update(steps or {})
    for step, spec in cadence.items():
        if spec is None:
            continue
        day, channel, status, reason = spec
        touch(lz, gid, start, step, channel, ago(age - day), status, reason)
    return start


@pytest.fixture(scope="module")
def lz(tmp_path_factory, dbt_manifest) -> PlacementLanding:
    lz = PlacementLanding(tmp_path_factory.mktemp("placement"))
    contactable(lz, "FEED")  # a fresh transactions export
    lz.txn("T-FEED", "FEED", None, posted_at="2026-06-01", amount="5.00", updated_at=FRESH_TS)

    # --- §8 placement: one guarantor per rule ---------------------------------------------------
    placeable(lz, "P_OK")
    placeable(lz, "P_SILENT90", age=105)  # silent_aged: 95 days ≥ 90 suffice
    placeable(lz, "P_BUREAU", age=400, charge="700.00")  # ≥ 500 and ≥ 365 days: reportable
    placeable(lz, "P_MIN_BAL", charge="20.00")
    placeable(lz, "P_STD95", age=105)  # responded 40 days ago: standard, needs 120
    lz.contact(
        "C-STD95",
        "P_STD95",
        occurred_at=f"{ago(40)}T15:00:00Z",
        channel="inbound_call",
        direction="inbound",
        outcome="connected",
    )
    placeable(lz, "P_CADENCE", steps={"live_call": (25, "phone", "skipped", None)})  # no reason
    placeable(
        lz,
        "P_ATTEMPTS",
        steps={  # only statement 2 went out
            "sms_reminder": (3, "sms", "skipped", "no_sms_consent"),
            "statement_1": (10, "mail", "skipped", "superseded"),
            "email_context": (18, "email", "skipped", "no_email_consent"),
        },
    )
    placeable(
        lz,
        "P_ONE_CHANNEL",
        steps={  # 3 attempts, all by mail
            "sms_reminder": (3, "sms", "skipped", "no_sms_consent"),
            "email_context": (18, "email", "skipped", "no_email_consent"),
        },
    )
    lz.contact(
        "C-LETTER",
        "P_ONE_CHANNEL",
        occurred_at=f"{ago(150)}T15:00:00Z",
        channel="letter",
        direction="outbound",
        outcome="",
    )
    placeable(lz, "P_DISPUTE")
    lz.dispute("D-P", "P_DISPUTE", opened_at=ago(10))
    placeable(lz, "P_HARDSHIP")
    lz.hardship("A-P", "P_HARDSHIP", submitted_at=ago(5), outcome="pending")
    placeable(lz, "P_PLAN")
    lz.plan(
        "PL-P", "P_PLAN", created_at=ago(20), installment_amount="200.00", installment_count=3, first_due_date=ago(-10)
    )
    placeable(lz, "P_DECEASED", deceased_at=ago(5))
    placeable(lz, "P_BANKRUPT", bankruptcy_filed_at=ago(5))
    placeable(lz, "P_PLACED")
    lz.placement("PLC-1", "P_PLACED", placed_at=ago(30), balance="600.00", encounter_id="E-P_PLACED")
    placeable(lz, "P_AGENCY")
    lz.agency("AG-1", "P_AGENCY", occurred_at=ago(40), event="acknowledged", placement_id="HIST-1")
    placeable(lz, "P_PAYMENT")
    lz.txn("T-PAY", "P_PAYMENT", "E-P_PAYMENT", posted_at=ago(10), amount="50.00")  # Nov 8 (W−1)
    lz.txn(
        "T-ADJ", "P_PAYMENT", "E-P_PAYMENT", posted_at=ago(100), type="adjustment", amount="25.00", reason="prompt_pay"
    )
    placeable(
        lz,
        "P_NO_PROOF",
        steps={  # nothing delivered, the mail came back
            "sms_reminder": (3, "sms", "sent", None)
        },
    )
    lz.contact(
        "C-RET",
        "P_NO_PROOF",
        occurred_at=f"{ago(150)}T15:00:00Z",
        channel="letter",
        direction="outbound",
        outcome="returned_mail",
    )

    # nonprofit mode (26 CFR 1.501(r)-6; test_nonprofit_mode): eligible in the default mode
    placeable(lz, "NP_OK", steps={"final_notice": (160, "mail", "sent", None)})  # 40 days ago
    placeable(lz, "NP_LATE", steps={"final_notice": (198, "mail", "sent", None)})  # 2 days ago
    placeable(lz, "NP_DAYS", age=105, steps={"final_notice": (65, "mail", "sent", None)})  # silent, 95 days

    # --- §9 queues ------------------------------------------------------------------------------
    contactable(lz, "Q_BOUNCE")
    lz.encounter("E-QB", "Q_BOUNCE", service_date=ago(60), total_charge="200.00")
    lz.sendgrid_event(
        "bounce",
        touch_id="X-1",
        guarantor_id="Q_BOUNCE",
        timestamp=int(datetime(2026, 11, 15, 18, tzinfo=UTC).timestamp()),
    )
    contactable(lz, "Q_WRONG")
    lz.encounter("E-QW", "Q_WRONG", service_date=ago(60), total_charge="200.00")
    lz.contact("C-WN", "Q_WRONG", occurred_at=f"{ago(2)}T15:00:00Z", outcome="wrong_number")
    contactable(lz, "Q_RESOLVED", address_verified_at=ago(5))
    lz.encounter("E-QR", "Q_RESOLVED", service_date=ago(60), total_charge="200.00")
    lz.contact("C-RES", "Q_RESOLVED", occurred_at=f"{ago(20)}T15:00:00Z", channel="letter", outcome="returned_mail")
    contactable(lz, "Q_NEW")
    lz.encounter("E-QN", "Q_NEW", service_date=ago(5), total_charge="1500.00")  # Nov 13
    contactable(lz, "Q_INST")
    lz.plan(
        "PL-I", "Q_INST", created_at=ago(10), installment_amount="50.00", installment_count=4, first_due_date=ago(-3)
    )
    contactable(lz, "Q_PROMISE")
    lz.contact(
        "C-PRQ",
        "Q_PROMISE",
        occurred_at=f"{ago(2)}T15:00:00Z",
        channel="inbound_call",
        direction="inbound",
        outcome="promise_to_pay",
        promised_amount="60.00",
        promised_date=ago(-2),
    )
    contactable(lz, "Q_DISPUTE_OLD")
    lz.dispute("D-OLD", "Q_DISPUTE_OLD", opened_at=ago(40))
    contactable(lz, "Q_HARDSHIP")
    lz.hardship(
        "A-Q",
        "Q_HARDSHIP",
        submitted_at=ago(220),
        decided_at=ago(200),
        outcome="approved",
        relief="reduction",
        support_start=ago(200),
        support_end=ago(-20),
    )
    contactable(lz, "Q_CREDIT")
    lz.encounter("E-QC", "Q_CREDIT", service_date=ago(30), total_charge="50.00")
    lz.txn("T-QC", "Q_CREDIT", "E-QC", posted_at=ago(20), amount="80.00")

    # --- §10 KPIs of week W (Nov 9–15) and W−1 (Nov 2–8) -----------------------------------------
    # days to first contact in W: 2, 6 and 13 days → median 6
    contactable(lz, "K_F1")
    lz.encounter("E-KF1", "K_F1", service_date="2026-11-07", total_charge="200.00")
    touch(lz, "K_F1", "2026-11-07", "sms_reminder", "sms", "2026-11-09")
    contactable(lz, "K_F2")
    lz.encounter("E-KF2", "K_F2", service_date="2026-10-30", total_charge="250.00")
    lz.contact("C-KF2", "K_F2", occurred_at="2026-11-12T15:00:00Z", outcome="no_answer")
    contactable(lz, "K_F3")
    lz.encounter("E-KF3", "K_F3", service_date="2026-11-03", total_charge="300.00")
    touch(lz, "K_F3", "2026-11-03", "sms_reminder", "sms", "2026-11-09")
    # payments in W: 300 by text-to-pay, 100 by card (K_Y), 50 (K_PR1) → 450; W−1: 50 (P_PAYMENT)
    # (patient-pay yield counts only K_Y's 400: paid in the week its responsibility became due)
    contactable(lz, "K_Y")
    lz.encounter("E-KY", "K_Y", service_date="2026-11-09", total_charge="1000.00")
    lz.txn("T-KY1", "K_Y", "E-KY", posted_at="2026-11-10", amount="300.00", method="text_to_pay")
    lz.txn("T-KY2", "K_Y", "E-KY", posted_at="2026-11-12", amount="100.00", method="card")
    # responsibility that became due in W: 1500 (Q_NEW, Nov 13) + 1000 (K_Y) + 500 → 3000;
    # W−1: 200 + 300
    contactable(lz, "K_Y2")
    lz.encounter("E-KY2", "K_Y2", service_date="2026-11-10", total_charge="500.00")
    # kept ÷ due in W: installment 2 of K_PL missed (Nov 12), promise K_PR1 kept (Nov 11),
    # promise K_PR2 broken (Nov 13) → 1/3; installment 1 (Oct 12) kept → first installment 1/1
    contactable(lz, "K_PL")
    lz.encounter("E-KPL", "K_PL", service_date=ago(60), total_charge="300.00")
    lz.plan(
        "PL-K",
        "K_PL",
        created_at="2026-10-01",
        installment_amount="100.00",
        installment_count=3,
        first_due_date="2026-10-12",
    )
    lz.txn("T-KPL", "K_PL", "E-KPL", posted_at="2026-10-12", amount="100.00", plan_id="PL-K", method="card")
    for gid, amount, due in (("K_PR1", "50.00", "2026-11-11"), ("K_PR2", "80.00", "2026-11-13")):
        contactable(lz, gid)
        lz.encounter(f"E-{gid}", gid, service_date=ago(60), total_charge="200.00")
        lz.contact(
            f"C-{gid}",
            gid,
            occurred_at="2026-10-25T15:00:00Z",
            channel="inbound_call",
            direction="inbound",
            outcome="promise_to_pay",
            promised_amount=amount,
            promised_date=due,
        )
    lz.txn("T-KPR1", "K_PR1", "E-K_PR1", posted_at="2026-11-11", amount="50.00", method="card")
    # disputes resolved in W after 4 and 10 days → median 7; in W−1 after 3 days
    for gid, opened, resolved in (
        ("K_D1", "2026-11-06", "2026-11-10"),
        ("K_D2", "2026-11-01", "2026-11-11"),
        ("K_D3", "2026-11-01", "2026-11-04"),
    ):
        lz.guarantor(gid)
        lz.dispute(f"D-{gid}", gid, opened_at=opened, resolved_at=resolved, resolution="corrected")
    # 2 complaints over 400 outreach touches in W (3 above + 397) → 5.0; W−1: 1 over 100 → 10.0
    for i in range(4):
        lz.guarantor(f"K_T{i}")
    for n in range(397):
        lz.contact(
            f"C-T{n}",
            f"K_T{n % 4}",
            occurred_at=f"2026-11-{9 + n % 7:02d}T15:00:00Z",
            channel="sms",
            outcome="delivered",
        )
    for n in range(100):
        lz.contact(
            f"C-TP{n}",
            f"K_T{n % 4}",
            occurred_at=f"2026-11-{2 + n % 7:02d}T15:00:00Z",
            channel="sms",
            outcome="delivered",
        )
    lz.guarantor("K_C")
    for n, day in enumerate(("2026-11-10", "2026-11-12", "2026-11-04")):
        lz.contact(
            f"C-CMP{n}",
            "K_C",
            occurred_at=f"{day}T15:00:00Z",
            channel="inbound_call",
            direction="inbound",
            outcome="complaint",
        )
    # placed in W: 250 (and P_PLACED's 600 on Oct 19 in the trailing 13 weeks)
    contactable(lz, "K_PLACE1")
    lz.encounter("E-KP1", "K_PLACE1", service_date=ago(60), total_charge="250.00")
    lz.placement("PLC-2", "K_PLACE1", placed_at="2026-11-10", balance="250.00", encounter_id="E-KP1")
    # placements of July (before every window of the scorecard): recalled, closed paid, paid in
    # full at the clinic while still placed (→ recall)
    for gid, charge in (("K_RECALLED", "300.00"), ("K_CLOSED", "100.00"), ("K_PAID", "200.00")):
        lz.guarantor(gid)
        lz.encounter(f"E-{gid}", gid, service_date="2026-06-15", total_charge=charge)
        lz.placement(
            f"PLC-{gid}", gid, placed_at="2026-07-01", balance=charge, encounter_id=f"E-{gid}", batch_id="B-JUL"
        )
        lz.agency(f"AG-{gid}-1", gid, occurred_at="2026-07-03", event="acknowledged", placement_id=f"PLC-{gid}")
    lz.agency("AG-REC", "K_RECALLED", occurred_at="2026-07-20", event="recall_ack", placement_id="PLC-K_RECALLED")
    lz.agency(
        "AG-PAY", "K_CLOSED", occurred_at="2026-07-24", event="payment", amount="100.00", placement_id="PLC-K_CLOSED"
    )
    lz.agency("AG-CLS", "K_CLOSED", occurred_at="2026-07-26", event="closed_paid", placement_id="PLC-K_CLOSED")
    lz.txn("T-KPAID", "K_PAID", "E-K_PAID", posted_at="2026-07-30", amount="200.00")
    # agency recoveries: W 120 + 80 (K_AG1, placed before the pipeline); W−1 50 (K_AG2)
    lz.guarantor("K_AG1")
    lz.guarantor("K_AG2")
    lz.agency("AG-A1-ACK", "K_AG1", occurred_at="2026-11-02T15:00:00Z", event="acknowledged", placement_id="HIST-A1")
    lz.agency(
        "AG-A1-P1",
        "K_AG1",
        occurred_at="2026-11-10T15:00:00Z",
        event="payment",
        amount="120.00",
        placement_id="HIST-A1",
    )
    lz.agency(
        "AG-A1-P2", "K_AG1", occurred_at="2026-11-13T15:00:00Z", event="payment", amount="80.00", placement_id="HIST-A1"
    )
    lz.agency(
        "AG-A2-P1", "K_AG2", occurred_at="2026-11-04T15:00:00Z", event="payment", amount="50.00", placement_id="HIST-A2"
    )
    # ERA files (two payment dates → two files) that arrived 30 h and 50 h before loading
    lz.guarantor("K_ERA")
    for n, paid_on in enumerate(("2026-06-05", "2026-06-06")):
        lz.encounter(f"E-ERA{n}", "K_ERA", service_date="2026-06-01", total_charge="500.00", primary_payer_id="AETNA")
        lz.claim(f"E-ERA{n}", payment_date=paid_on, charge="500.00", paid="400.00", pr="100.00", clp07=f"X{n}")
    lz.era_lag_hours = [30.0, 50.0]
    return lz


@pytest.fixture(scope="module")
def wh(lz: PlacementLanding) -> Warehouse:
    return lz.build(AS_OF)


def eligibility(wh: Warehouse) -> dict[str, dict]:
    return {r["guarantor_id"]: r for r in wh.dicts("SELECT * FROM marts.fct_placement_eligibility")}


def kpi(wh: Warehouse, name: str, week: date = W_END, segment: str = "all") -> dict | None:
    rows = wh.dicts(
        "SELECT * FROM marts.rpt_weekly_scorecard WHERE kpi = ? AND week_ending = ? AND segment = ?",
        [name, week, segment],
    )
    assert len(rows) <= 1
    return rows[0] if rows else None


def open_dollars(wh: Warehouse, cutoff: date) -> D:
    """Open patient dollars at the start of `cutoff`, computed straight from the balances and raw
    postings (every encounter here is self-pay or adjudicated before the weeks under test)."""
    return wh.one(
        """
        SELECT sum(b) FROM (
            SELECT e.patient_responsibility - coalesce((
                SELECT sum(CASE WHEN t.type IN ('payment', 'adjustment') THEN t.amount ELSE -t.amount END)
                FROM raw.patient_transactions t WHERE t.encounter_id = e.encounter_id AND t.posted_at < ?), 0) AS b
            FROM marts.fct_encounter_balances e WHERE e.balance_date < ?) x
        WHERE b > 0""",
        [cutoff, cutoff],
    )


# --- §8 placement eligibility --------------------------------------------------------------------


def test_each_rule_fails_alone_and_the_rest_are_eligible(wh):
    rows = eligibility(wh)
    assert {g for g, r in rows.items() if r["eligible"]} >= ELIGIBLE
    for gid in ELIGIBLE:
        assert rows[gid]["failed_rules"] == "", (gid, rows[gid]["failed_rules"])
    for gid, rule in ONE_RULE.items():
        assert (rows[gid]["eligible"], rows[gid]["failed_rules"]) == (False, rule), gid


def test_eligible_row_carries_the_itemization_and_attempts(wh):
    r = eligibility(wh)["P_OK"]
    assert r["balance"] == D("600.00") and r["segment"] == "silent_aged"
    assert r["first_statement_date"] == date(2026, 5, 12) and r["days_since_first_statement"] == 190
    assert (r["itemization_amount"], r["payments_since_itemization"], r["credits_since_itemization"]) == (
        D("600.00"),
        D("0.00"),
        D("0.00"),
    )
    assert (r["documented_attempts"], r["attempt_channels"], r["has_proof_of_contact"]) == (4, "email,mail,sms", True)
    assert r["bureau_reportable"] is False
    assert r["as_of_date"] == AS_OF and r["policy_version"]
    assert eligibility(wh)["P_BUREAU"]["bureau_reportable"] is True


def test_itemization_of_a_paying_guarantor(wh):
    r = eligibility(wh)["P_PAYMENT"]
    # 600 on the first statement (May 12); then a 25 adjustment and a 50 payment
    assert (
        r["balance"],
        r["itemization_amount"],
        r["payments_since_itemization"],
        r["credits_since_itemization"],
        r["last_payment_date"],
    ) == (D("525.00"), D("600.00"), D("50.00"), D("25.00"), date(2026, 11, 8))


def test_silent_threshold_and_fallback_first_statement(wh):
    rows = eligibility(wh)
    assert (rows["P_SILENT90"]["segment"], rows["P_SILENT90"]["days_since_first_statement"]) == ("silent_aged", 95)
    assert (rows["P_STD95"]["segment"], rows["P_STD95"]["days_since_first_statement"]) == ("standard", 95)
    # P_ATTEMPTS never got statement 1: episode start + 10 days
    assert (rows["P_ATTEMPTS"]["first_statement_source"], rows["P_ATTEMPTS"]["first_statement_date"]) == (
        "fallback",
        date(2026, 5, 12),
    )


def test_rerun_of_the_same_day_gives_the_same_eligibility(lz, wh):
    before = wh.dicts("SELECT * FROM marts.fct_placement_eligibility ORDER BY guarantor_id")
    # D's own run places P_OK and sends another statement to P_ATTEMPTS, then the day is re-run
    con = duckdb.connect(str(wh.path))
    try:
        insert_placements(
            con,
            [
                dict(
                    placement_id="PLC-D",
                    batch_id="B-D",
                    guarantor_id="P_OK",
                    placed_at=AS_OF.isoformat(),
                    balance_placed="600.00",
                    status="placed",
                    policy_version="test",
                )
            ],
        )
        con.execute(
            "INSERT INTO ops.send_ledger (touch_id, guarantor_id, episode_start, step, channel, as_of_date, "
            "status, sent_at) VALUES ('L-D', 'P_ATTEMPTS', ?, 'statement_x', 'email', ?, 'sent', ?)",
            [ago(200), AS_OF, f"{AS_OF} 16:00:00"],
        )
    finally:
        con.close()
    dbt_build(wh.path, select="stg_send_ledger+ stg_placement_ledger+")  # what the ledgers feed
    assert wh.dicts("SELECT * FROM marts.fct_placement_eligibility ORDER BY guarantor_id") == before
    # the placement of D is in the placement facts, not in D's eligibility
    assert wh.one("SELECT status FROM marts.fct_placements WHERE placement_id = 'PLC-D'") == "placed"


def test_placements_with_agency_status(wh):
    rows = {r["placement_id"]: r for r in wh.dicts("SELECT * FROM marts.fct_placements")}
    got = {
        p: (r["status"], r["agency_collected"], r["needs_recall"], r["recall_reasons"])
        for p, r in rows.items()
        if p in ("PLC-1", "PLC-K_RECALLED", "PLC-K_CLOSED", "PLC-K_PAID")
    }
    assert got == {
        "PLC-1": ("placed", D("0.00"), False, None),
        "PLC-K_RECALLED": ("recalled", D("0.00"), False, None),
        "PLC-K_CLOSED": ("closed_paid", D("100.00"), False, None),
        "PLC-K_PAID": ("placed", D("0.00"), True, "paid_in_full"),
    }
    r = rows["PLC-1"]
    assert (r["batch_id"], r["guarantor_id"], r["placed_at"], r["balance_placed"], r["as_of_date"]) == (
        "B-2026-10-19",
        "P_PLACED",
        date(2026, 10, 19),
        D("600.00"),
        AS_OF,
    ) and r["policy_version"]
    closed = rows["PLC-K_CLOSED"]
    assert (
        closed["is_acknowledged"],
        closed["acknowledged_date"],
        closed["agency_payments"],
        closed["last_agency_payment_date"],
        closed["latest_agency_event"],
    ) == (True, date(2026, 7, 3), 1, date(2026, 7, 24), "closed_paid")
    assert (rows["PLC-1"]["is_acknowledged"], rows["PLC-1"]["acknowledged_date"], rows["PLC-1"]["agency_payments"]) == (
        False,
        None,
        0,
    )


# --- §9 queues ------------------------------------------------------------------------------------


def queue(wh, name):
    return wh.dicts("SELECT * FROM marts.fct_queue_items WHERE queue = ? ORDER BY priority, guarantor_id", [name])


def test_every_queue_has_items(wh):
    queues = {r[0] for r in wh.rows("SELECT DISTINCT queue FROM marts.fct_queue_items")}
    assert queues == {
        "returned_contact",
        "new_balance",
        "plans_due",
        "disputes_open",
        "hardship_review",
        "placement_review",
        "refunds_due",
        "mini_audit",
    }


def test_returned_contact_queue(wh):
    got = {(r["guarantor_id"], r["priority"]) for r in queue(wh, "returned_contact")}
    assert got == {("P_NO_PROOF", 1), ("Q_WRONG", 2), ("Q_BOUNCE", 3)}  # Q_RESOLVED re-verified
    (r,) = [r for r in queue(wh, "returned_contact") if r["guarantor_id"] == "Q_BOUNCE"]
    assert r["due_date"] == date(2026, 11, 15) and "email bounced" in r["reason"]


def test_new_balance_plans_disputes_hardship_placement_refunds(wh):
    # tiers: high 1, medium 2, small 3; due when the balance stops being new (30 days)
    assert [(r["guarantor_id"], r["priority"], r["due_date"]) for r in queue(wh, "new_balance")] == [
        ("Q_NEW", 1, date(2026, 12, 13)),
        ("K_F1", 2, date(2026, 12, 7)),
        ("K_F2", 2, date(2026, 11, 29)),
        ("K_F3", 2, date(2026, 12, 3)),
        ("K_Y", 2, date(2026, 12, 9)),
        ("K_Y2", 2, date(2026, 12, 10)),
    ]
    plans = {(r["guarantor_id"], r["priority"], r["due_date"]) for r in queue(wh, "plans_due")}
    assert plans == {
        ("K_PL", 1, date(2026, 11, 18)),  # paused after the Nov 12 miss: call
        ("K_PR2", 1, date(2026, 11, 13)),  # promise broken
        ("Q_PROMISE", 3, date(2026, 11, 20)),  # promise due this week
        ("Q_INST", 3, date(2026, 11, 21)),
    }  # installment due this week
    assert [(r["guarantor_id"], r["priority"]) for r in queue(wh, "disputes_open")] == [
        ("Q_DISPUTE_OLD", 1),
        ("P_DISPUTE", 2),
    ]
    assert [(r["guarantor_id"], r["priority"], r["due_date"]) for r in queue(wh, "hardship_review")] == [
        ("P_HARDSHIP", 1, date(2026, 11, 13)),
        ("Q_HARDSHIP", 2, date(2026, 11, 8)),
    ]
    assert {r["guarantor_id"] for r in queue(wh, "placement_review")} == ELIGIBLE
    refunds = {r["guarantor_id"]: r for r in queue(wh, "refunds_due")}  # FEED: on-account credit
    assert (refunds["Q_CREDIT"]["reason"], refunds["Q_CREDIT"]["priority"]) == ("refund 30.00", 1)
    for r in wh.dicts("SELECT * FROM marts.fct_queue_items"):
        assert r["priority"] >= 1 and r["item_id"] and r["as_of_date"] == AS_OF and r["policy_version"]


def test_mini_audit_draw_is_seeded_and_reproducible(wh):
    drawn = [r["guarantor_id"] for r in queue(wh, "mini_audit")]
    population = [g for (g,) in wh.rows("SELECT guarantor_id FROM marts.dim_guarantor_status WHERE balance > 0")]
    seed = 20240601
    expected = sorted(population, key=lambda g: (hashlib.md5(f"{g}|{seed}|{AS_OF}".encode()).hexdigest(), g))[:5]
    assert drawn == expected
    assert [r["priority"] for r in queue(wh, "mini_audit")] == [1, 2, 3, 4, 5]


# --- §10 scorecard and huddle
# ----------------------------------------------------------------------


def test_median_kpis(wh):
    d = kpi(wh, "dispute_resolution_time")
    assert (d["value"], d["numerator"], d["denominator"], d["healthy_direction"]) == (7, None, 2, "down")
    assert kpi(wh, "dispute_resolution_time", W_PREV)["value"] == 3
    f = kpi(wh, "days_to_first_contact")
    assert (f["value"], f["denominator"]) == (6, 3)
    era = kpi(wh, "era_posting_lag_hours", date(2026, 11, 22))  # loaded by the run of Nov 18
    assert abs(era["value"] - 40) < 0.1 and era["denominator"] == 2 and era["target_value"] == 48


def test_ratio_kpis(wh):
    c = kpi(wh, "complaints_per_1000_contacts")
    assert (c["value"], c["numerator"], c["denominator"]) == (D("5"), 2, 400)
    assert kpi(wh, "complaints_per_1000_contacts", W_PREV)["value"] == 10
    # payments in the week on the responsibility that became due in that week (docs/rules.md
    # §10): K_Y's 400 of 3,000 in W; P_PAYMENT's 50 in W−1 pays an older visit: 0 of 500
    y = kpi(wh, "patient_pay_yield")
    assert (y["numerator"], y["denominator"]) == (400, 3000)
    assert abs(y["value"] - D(400) / D(3000)) < D("0.000001")
    prev = kpi(wh, "patient_pay_yield", W_PREV)
    assert (prev["numerator"], prev["denominator"], prev["value"]) == (0, 500, 0)
    t = kpi(wh, "text_to_pay_share")
    assert (t["numerator"], t["denominator"]) == (1, 3)
    k = kpi(wh, "promise_to_pay_kept")
    assert (k["numerator"], k["denominator"]) == (1, 3)
    first = kpi(wh, "first_installment_success", date(2026, 10, 18))
    assert (first["numerator"], first["denominator"], first["value"]) == (1, 1, 1)
    u = kpi(wh, "open_balances_untouched_at_day_10")
    assert (u["numerator"], u["denominator"]) == (1, 2)  # K_F2 untouched at day 10, K_F3 touched


def test_recovery_and_percent_placed_against_open_dollars(wh):
    week_open = open_dollars(wh, date(2026, 11, 9))
    r = kpi(wh, "recovery_rate")
    assert (r["numerator"], r["denominator"]) == (450, week_open)
    p = kpi(wh, "percent_placed")
    assert (p["numerator"], p["denominator"]) == (250, week_open)
    assert abs(p["value"] - D(250) * 100 / week_open) < D("0.000001")
    t = kpi(wh, "percent_placed_trailing_13w")
    assert (t["numerator"], t["denominator"]) == (850, open_dollars(wh, date(2026, 8, 17)))
    # the segments add up to the total
    seg = wh.one(
        "SELECT sum(numerator), sum(denominator) FROM marts.rpt_weekly_scorecard "
        "WHERE kpi = 'recovery_rate' AND week_ending = ? AND segment <> 'all'",
        [W_END],
    )
    assert seg == (450, week_open)


def test_agency_recoveries_kpi(wh):
    a = kpi(wh, "agency_recoveries")
    assert (a["value"], a["numerator"], a["denominator"], a["unit"], a["healthy_direction"]) == (
        200,
        200,
        2,
        "dollars",
        "up",
    )
    assert (kpi(wh, "agency_recoveries", W_PREV)["value"], kpi(wh, "agency_recoveries", W_PREV)["denominator"]) == (
        50,
        1,
    )
    seg = kpi(wh, "agency_recoveries", segment="no_open_balance")  # K_AG1 owes nothing here
    assert seg["value"] == 200
    huddle = wh.one("SELECT section FROM marts.rpt_huddle WHERE kpi = 'agency_recoveries'")
    assert huddle == "win"  # 50 → 200, healthy up


def test_scorecard_weeks_and_shape(wh):
    weeks = [w for (w,) in wh.rows("SELECT DISTINCT week_ending FROM marts.rpt_weekly_scorecard ORDER BY 1")]
    assert weeks[-1] == date(2026, 11, 22) and len(weeks) <= 14
    assert all(w.weekday() == 6 for w in weeks)
    n_kpis = wh.one("SELECT count(*) FROM reference.scorecard_kpis")
    assert (
        wh.one("SELECT count(*) FROM marts.rpt_weekly_scorecard WHERE segment = 'all' AND week_ending = ?", [W_END])
        == n_kpis
    )
    row = kpi(wh, "recovery_rate")
    assert row["as_of_date"] == AS_OF and row["policy_version"]


def test_huddle_wins_slips_and_one_suggestion(wh):
    rows = {r["kpi"]: r for r in wh.dicts("SELECT * FROM marts.rpt_huddle")}
    assert {r["week_ending"] for r in rows.values()} == {W_END}
    assert rows["complaints_per_1000_contacts"]["section"] == "win"
    assert rows["patient_pay_yield"]["section"] == "win"
    d = rows["dispute_resolution_time"]
    assert (d["this_week_value"], d["last_week_value"], d["change"], d["direction_is_healthy"], d["section"]) == (
        7,
        3,
        4,
        False,
        "slip",
    )
    assert rows["percent_placed"]["section"] == "slip"  # stable or down is healthy
    assert rows["days_to_first_contact"]["section"] == "flat"  # nothing to compare with
    suggested = [k for k, r in rows.items() if r["is_suggested_change"]]
    assert suggested == ["dispute_resolution_time"] and rows["dispute_resolution_time"]["suggested_change"]
    assert all(r["section_order"] == {"win": 1, "slip": 2, "flat": 3}[r["section"]] for r in rows.values())


def test_nonprofit_mode_needs_120_days_and_a_final_notice(wh, tmp_path):
    """clinic.nonprofit_501r: true (the policy row flipped on a copy of the warehouse)."""
    copy = Warehouse(copy_warehouse(wh.path, tmp_path / "nonprofit"))
    con = duckdb.connect(str(copy.path))
    try:
        con.execute("UPDATE raw.policy SET clinic_nonprofit_501r = true")
    finally:
        con.close()
    dbt_build(copy.path, select="int_placement_checks+")
    rows = eligibility(copy)
    assert {g: rows[g]["failed_rules"] for g in ("NP_OK", "NP_LATE", "NP_DAYS", "P_OK", "P_SILENT90")} == {
        "NP_OK": "",  # 190 days, final notice 40 days ago
        "NP_LATE": "final_notice",  # final notice only 2 days ago
        "NP_DAYS": "nonprofit_days_since_first_statement",  # 95 days: enough for silent_aged, not 501(r)
        "P_OK": "final_notice",
        "P_SILENT90": "final_notice,nonprofit_days_since_first_statement",
    }
    assert rows["NP_OK"]["eligible"] and rows["NP_OK"]["is_nonprofit_mode"]
