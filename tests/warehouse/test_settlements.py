"""docs/rules.md §6 settlement offers on a hand-built clinic: who qualifies (both sides of every
rule), the proposed offer, and the approval level the policy requires.

As-of date D: Wednesday 2026-11-18. Default policy: age ≥ 120, silent_aged, ≥ 3 documented
attempts; approval ≤ 20 %: collector, ≤ 40 %: manager, more: finance lead.
"""

from __future__ import annotations

from decimal import Decimal as D

import duckdb
import pytest

from tests.warehouse.harness import Warehouse, copy_warehouse, dbt_build
from tests.warehouse.test_placement_queues_scorecard import (
    AS_OF,
    FRESH_TS,
    PlacementLanding,
    ago,
    contactable,
    placeable,
)

pytestmark = pytest.mark.slow(runs=2)


@pytest.fixture(scope="module")
def wh(tmp_path_factory, dbt_manifest) -> Warehouse:
    lz = PlacementLanding(tmp_path_factory.mktemp("settlements"))
    contactable(lz, "FEED")
    lz.txn("T-FEED", "FEED", None, posted_at="2026-06-01", amount="5.00", updated_at=FRESH_TS)
    placeable(lz, "S_OK")  # 200 days, silent, 4 attempts
    placeable(lz, "S_AGE120", age=120)
    placeable(lz, "S_AGE119", age=119)
    placeable(lz, "S_ATTEMPTS3", steps={"sms_reminder": (3, "sms", "skipped", "no_sms_consent")})
    placeable(
        lz,
        "S_ATTEMPTS2",
        steps={
            "sms_reminder": (3, "sms", "skipped", "no_sms_consent"),
            "email_context": (18, "email", "skipped", "no_email_consent"),
        },
    )
    placeable(lz, "S_ENGAGED")  # answered 20 days ago: not silent
    lz.contact(
        "C-ENG",
        "S_ENGAGED",
        occurred_at=f"{ago(20)}T15:00:00Z",
        channel="inbound_call",
        direction="inbound",
        outcome="connected",
    )
    placeable(lz, "S_DISPUTE")
    lz.dispute("D-S", "S_DISPUTE", opened_at=ago(10))
    placeable(lz, "S_HARDSHIP")
    lz.hardship("A-S", "S_HARDSHIP", submitted_at=ago(5), outcome="pending")
    placeable(lz, "S_DECEASED", deceased_at=ago(5))
    placeable(lz, "S_PLACED")
    lz.placement("PLC-S", "S_PLACED", placed_at=ago(30), balance="600.00", encounter_id="E-S_PLACED")
    return lz.build(as_of=AS_OF, select="+fct_settlement_offers")


def offers(wh: Warehouse) -> dict[str, dict]:
    return {r["guarantor_id"]: r for r in wh.dicts("SELECT * FROM marts.fct_settlement_offers")}


def test_who_qualifies_both_sides(wh):
    assert set(offers(wh)) == {"S_OK", "S_AGE120", "S_ATTEMPTS3"}
    ages = {g: r["age_days"] for g, r in offers(wh).items()}
    assert ages["S_AGE120"] == 120
    assert offers(wh)["S_ATTEMPTS3"]["documented_attempts"] == 3


def test_proposed_offer_and_approval_level(wh):
    r = offers(wh)["S_OK"]
    assert (
        r["balance"],
        r["discount_pct"],
        r["offer_amount"],
        r["approval_level"],
        r["next_approval_level"],
        r["next_max_discount_pct"],
        r["as_of_date"],
    ) == (D("600.00"), D("20.00"), D("480.00"), "collector", "manager", D("40.00"), AS_OF)
    assert r["policy_version"]


def test_approval_bands_follow_the_policy(wh):
    bands = wh.rows(
        "SELECT approver, min_discount_pct, max_discount_pct, is_first_level "
        "FROM intermediate.int_settlement_approval_bands ORDER BY level_order"
    )
    assert bands == [
        ("collector", D("0.00"), D("20.00"), True),
        ("manager", D("20.00"), D("40.00"), False),
        ("finance_lead", D("40.00"), D("100.00"), False),
    ]

    def approver(d: str) -> str:
        return wh.one(
            "SELECT approver FROM intermediate.int_settlement_approval_bands "
            "WHERE (CAST(? AS DECIMAL(5,2)) > min_discount_pct OR (CAST(? AS DECIMAL(5,2)) = 0 "
            "AND is_first_level)) AND CAST(? AS DECIMAL(5,2)) <= max_discount_pct",
            [d, d, d],
        )

    assert [approver(d) for d in ("0", "20", "20.01", "40", "40.01", "100")] == [
        "collector",
        "collector",
        "manager",
        "manager",
        "finance_lead",
        "finance_lead",
    ]


def test_a_clinic_where_collectors_cannot_settle(wh, tmp_path):
    """The policy's first level decides the proposal and its approver: without a collector level
    the proposal is the manager's 40 %, escalating to the finance lead."""
    copy = copy_warehouse(wh.path, tmp_path / "no_collector")
    con = duckdb.connect(str(copy))
    try:
        con.execute("DELETE FROM raw.policy_settlement_approval WHERE approver = 'collector'")
    finally:
        con.close()
    dbt_build(copy, select="int_settlement_approval_bands+")
    r = offers(Warehouse(copy))["S_OK"]
    assert (
        r["discount_pct"],
        r["offer_amount"],
        r["approval_level"],
        r["next_approval_level"],
        r["next_max_discount_pct"],
    ) == (D("40.00"), D("360.00"), "manager", "finance_lead", D("100.00"))
