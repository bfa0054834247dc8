"""Case 8 (issue 15): a week's KPI facts belong to the guarantor's segment at the week's start
(docs/rules.md §10 "Scorecard"), and the patient-pay yield is the payments of the week on the
patient responsibility that became due that week — never more collected than came due.

Week of Mon Nov 16 – Sun Nov 22 (the as-of date is Fri Nov 20). S_PAYOFF owed $300 at the
week's start (45 days, no payment since the first statement: early_stall) and paid it off on
Nov 17; S_NEW's $100 visit became due on Nov 17 and $40 of it was paid on Nov 18."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.scenarios.people import contactable, feed
from tests.warehouse.harness import Landing

D = date(2026, 11, 20)
WEEK = date(2026, 11, 22)


@pytest.fixture(scope="module")
def wh(tmp_path_factory, dbt_manifest):
    lz = Landing(tmp_path_factory.mktemp("segment_kpis"))
    contactable(lz, "S_PAYOFF")
    lz.encounter("E-PAYOFF", "S_PAYOFF", service_date="2026-10-01", total_charge="300.00")
    lz.txn("T-PAYOFF", "S_PAYOFF", "E-PAYOFF", posted_at="2026-11-17", amount="300.00")
    contactable(lz, "S_NEW")
    lz.encounter("E-NEW", "S_NEW", service_date="2026-11-17", total_charge="100.00")
    lz.txn("T-NEW", "S_NEW", "E-NEW", posted_at="2026-11-18", amount="40.00")
    feed(lz, D)  # an on-account payment of an unrelated guarantor
    return lz.build(D, select="+rpt_weekly_scorecard +int_guarantor_segments")


def kpi(wh, name: str, segment: str = "all") -> dict | None:
    rows = wh.dicts(
        "SELECT value, numerator, denominator FROM marts.rpt_weekly_scorecard "
        "WHERE week_ending = ? AND kpi = ? AND segment = ?",
        [WEEK, name, segment],
    )
    return rows[0] if rows else None


def test_the_segment_is_the_one_at_the_weeks_start(wh):
    seg = dict(
        wh.rows(
            "SELECT snapshot_date, segment FROM intermediate.int_guarantor_segments WHERE guarantor_id = 'S_PAYOFF'"
        )
    )
    assert seg[date(2026, 11, 15)] == "early_stall" and D not in seg  # paid off by D: none on D
    assert kpi(wh, "recovery_rate", "early_stall")["numerator"] == 300
    no_balance = kpi(wh, "recovery_rate", "no_open_balance")
    assert no_balance is None or no_balance["numerator"] != 300


def test_patient_pay_yield_is_the_weeks_payments_on_the_weeks_responsibility(wh):
    y = kpi(wh, "patient_pay_yield")
    assert (y["numerator"], y["denominator"], y["value"]) == (40, 100, Decimal("0.4"))
    recovered = kpi(wh, "recovery_rate")["numerator"]
    assert recovered == 345  # all collected dollars still count there
    assert wh.one("SELECT max(value) FROM marts.rpt_weekly_scorecard WHERE kpi = 'patient_pay_yield'") <= 1
