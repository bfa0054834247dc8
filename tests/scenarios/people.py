"""Building blocks of the rule scenarios (tests/scenarios/test_caseNN_*.py): a guarantor every
channel can reach, a balance of a given age, a touch the pipeline already made, and the
queries the cases assert on. Dates are relative to each scenario's as-of date."""

from __future__ import annotations

from datetime import date, timedelta

from tests.warehouse.harness import Landing, Warehouse

# What a scenario builds (`Landing.build(select=...)`, tests/README.md "Making a test fast"): the
# models the cases read, their parents and the dbt tests on them, not the whole project (whose
# dbt tests run on the session clinic's first run).
# the day's plan and its holds (marts.fct_touches, marts.rpt_hold_report, int_touch_guardrails)
PLAN = "+fct_touches +rpt_hold_report"
# what the channels' hand-off (orchestration/actions: `dispatch`) reads, and the attempts it feeds
HANDOFF = (
    PLAN + " +fct_touch_audience +fct_touch_visits +fct_plan_charges +fct_settlement_offers +int_outreach_attempts"
)


def contactable(lz: Landing, gid: str, **kw) -> dict:
    """A guarantor every channel can reach: consents, a phone, an e-mail, a verified address.
    Returns the row (change it and build again for the next night's export)."""
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
    return lz.guarantor(gid, **base)


def owes(lz: Landing, gid: str, as_of: date, age: int, amount: str = "150.00", eid: str | None = None) -> str:
    """A self-pay visit that gives the guarantor a balance of `amount` aged `age` days on `as_of`."""
    eid = eid or f"E-{gid}"
    lz.encounter(eid, gid, service_date=(as_of - timedelta(days=age)).isoformat(), total_charge=amount)
    return eid


def feed(lz: Landing, as_of: date) -> None:
    """The night's patient_transactions export: a payment of an unrelated guarantor posted the
    day before `as_of` (call it before each build: the file changes, so it arrives again)."""
    if not any(r["guarantor_id"] == "FEED" for r in lz.tables["guarantors"]):
        contactable(lz, "FEED")
    lz.txn(f"T-FEED-{as_of:%Y%m%d}", "FEED", None, posted_at=(as_of - timedelta(days=1)).isoformat(), amount="5.00")


def touches(wh: Warehouse, gid: str) -> dict[str, tuple[str, str | None]]:
    """Today's plan of a guarantor: step -> (status, hold_reason)."""
    return {
        r[0]: (r[1], r[2])
        for r in wh.rows(
            "SELECT step, status, hold_reason FROM marts.fct_touches WHERE guarantor_id = ? AND is_planned_today", [gid]
        )
    }


def hold_rules(wh: Warehouse, gid: str, step: str) -> set[str]:
    rules = wh.one(
        "SELECT hold_rules FROM marts.fct_touches WHERE guarantor_id = ? AND step = ? AND is_planned_today", [gid, step]
    )
    return set((rules or "").split(",")) - {""}
