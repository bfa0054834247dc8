"""Case 9 (issue 15): the cumulative patient-pay yield of each monthly cohort (docs/rules.md §10 via
docs/rules.md §10 "Scorecard"): rpt_cohort_yield, one row per cohort month and scorecard week,
the payments on the cohort's responsibility through that week ÷ the responsibility."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.scenarios.people import contactable, feed
from tests.warehouse.harness import Landing

D = date(2026, 11, 20)


@pytest.fixture(scope="module")
def wh(tmp_path_factory, dbt_manifest):
    lz = Landing(tmp_path_factory.mktemp("cohort_yield"))
    contactable(lz, "C_SEP")
    lz.encounter("E-SEP", "C_SEP", service_date="2026-09-10", total_charge="1000.00")
    lz.txn("T-SEP1", "C_SEP", "E-SEP", posted_at="2026-09-20", amount="250.00")
    lz.txn("T-SEP2", "C_SEP", "E-SEP", posted_at="2026-11-03", amount="250.00")
    contactable(lz, "C_NOV")
    lz.encounter("E-NOV", "C_NOV", service_date="2026-11-02", total_charge="200.00")
    lz.txn("T-NOV", "C_NOV", "E-NOV", posted_at="2026-11-10", amount="200.00")
    # insurance pending on D: not yet anyone's responsibility, in no cohort
    lz.encounter("E-PEND", "C_NOV", service_date="2026-11-05", total_charge="900.00", primary_payer_id="AETNA")
    feed(lz, D)
    return lz.build(D, select="+rpt_cohort_yield")


def cohort(wh, month: date) -> dict[date, tuple]:
    return {
        r[0]: r[1:]
        for r in wh.rows(
            "SELECT week_ending, responsibility, paid, cumulative_yield FROM marts.rpt_cohort_yield "
            "WHERE cohort_month = ? ORDER BY week_ending",
            [month],
        )
    }


def test_each_monthly_cohort_accumulates_week_by_week(wh):
    sep = cohort(wh, date(2026, 9, 1))
    assert sep[date(2026, 11, 1)] == (1000, 250, Decimal("0.25"))
    assert sep[date(2026, 11, 8)] == (1000, 500, Decimal("0.5"))
    assert sep[date(2026, 11, 22)] == (1000, 500, Decimal("0.5"))  # the current week: to date
    nov = cohort(wh, date(2026, 11, 1))
    assert nov[date(2026, 11, 1)] == (200, 0, 0) and nov[date(2026, 11, 15)] == (200, 200, 1)
    assert min(nov) == date(2026, 11, 1)  # from the week holding the cohort's first day
    months = {r[0] for r in wh.rows("SELECT DISTINCT cohort_month FROM marts.rpt_cohort_yield")}
    assert months == {date(2026, 9, 1), date(2026, 11, 1)}


def test_it_is_published_without_identifiers(wh):
    cols = {
        r[0]
        for r in wh.rows("SELECT column_name FROM information_schema.columns WHERE table_name = 'rpt_cohort_yield'")
    }
    assert "guarantor_id" not in cols and {"cohort_month", "cumulative_yield"} <= cols
