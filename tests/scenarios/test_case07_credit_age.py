"""Case 7 (issue 15): a credit's age follows the balance ledger's one posting-date rule
(docs/rules.md §1 "Balance ledger", §7 "Refunds"): a copay taken at the front desk on an
insurance-pending visit waits for the adjudication, so the credit it leaves starts then.

A $50 copay is posted on Jan 5 for a visit that day; the insurer adjudicates it on Feb 20 with
$20 patient responsibility: a $30 credit since Feb 20 (a Friday), picked up by the Monday sweep
of Feb 23 and due five business days later, Mar 2 — not "due Jan 12, overdue on arrival"."""

from __future__ import annotations

from datetime import date

import pytest

from tests.scenarios.people import contactable, feed
from tests.warehouse.harness import Landing

D = date(2026, 2, 25)


@pytest.fixture(scope="module")
def wh(tmp_path_factory, dbt_manifest):
    lz = Landing(tmp_path_factory.mktemp("credit_age"))
    contactable(lz, "G_COPAY")
    lz.encounter("E-COPAY", "G_COPAY", service_date="2026-01-05", total_charge="200.00", primary_payer_id="AETNA")
    lz.txn("T-COPAY", "G_COPAY", "E-COPAY", posted_at="2026-01-05", amount="50.00", method="card")
    lz.claim(
        "E-COPAY", payment_date="2026-02-20", charge="200.00", paid="150.00", pr="20.00", clp07="CC1", copay="20.00"
    )
    feed(lz, D)
    return lz.build(D, select="+int_balance_ledger +fct_refund_items +fct_queue_items")


def test_the_copay_is_effective_on_the_adjudication(wh):
    row = wh.dicts(
        "SELECT event_kind, posted_date, effective_date FROM intermediate.int_balance_ledger "
        "WHERE encounter_id = 'E-COPAY' ORDER BY event_kind"
    )
    assert row == [
        {"event_kind": "charge", "posted_date": date(2026, 2, 20), "effective_date": date(2026, 2, 20)},
        {"event_kind": "payment", "posted_date": date(2026, 1, 5), "effective_date": date(2026, 2, 20)},
    ]


def test_the_credit_is_dated_from_the_adjudication(wh):
    item = wh.dicts(
        "SELECT credit_amount, credit_since, credit_age_days, sweep_date, due_date, is_overdue "
        "FROM marts.fct_refund_items WHERE guarantor_id = 'G_COPAY'"
    )
    assert item == [
        {
            "credit_amount": 30,
            "credit_since": date(2026, 2, 20),
            "credit_age_days": 5,
            "sweep_date": date(2026, 2, 23),
            "due_date": date(2026, 3, 2),
            "is_overdue": False,
        }
    ]
    queue = wh.one(
        "SELECT priority FROM marts.fct_queue_items WHERE queue = 'refunds_due' AND guarantor_id = 'G_COPAY'"
    )
    assert queue == 2  # due within the week, not overdue
