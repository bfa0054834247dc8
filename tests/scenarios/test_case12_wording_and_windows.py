"""Case 12 (issue 15), the small ones: every text ends "Reply STOP to stop texts" (the words
of docs/rules.md §4 "Messages"); the new-balance queue holds balances under 30 days old (29
yes, 30 no); "the next 7 days" of the plans queue are 7 days, today through today + 6
(docs/rules.md §9 "Queues")."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from orchestration.actions.outreach import moves, sms
from tests.scenarios.people import contactable, feed, owes
from tests.warehouse.harness import Landing

D = date(2026, 11, 20)
CLINIC = {"name": "Riverbend Family Medicine", "help_line": "(555) 010-2400", "timezone": "America/Chicago"}
TOUCH = dict(
    touch_id="T1",
    guarantor_id="G1",
    episode_start=D,
    channel="sms",
    as_of_date=D,
    balance="120.00",
    visit_date=date(2026, 11, 2),
)


def test_every_text_carries_the_plain_opt_out():
    body = sms.sms_body({**TOUCH, "step": "sms_reminder"}, CLINIC, "https://pay.example/p/abc")
    assert body.endswith("Reply STOP to stop texts.")
    reminder = moves.sms_body(
        {**TOUCH, "step": "plan_reminder", "move_amount": "50.00", "move_date": D}, CLINIC, "https://pay.example/p/abc"
    )
    assert reminder.endswith("Reply STOP to stop texts.")


@pytest.fixture(scope="module")
def wh(tmp_path_factory, dbt_manifest):
    lz = Landing(tmp_path_factory.mktemp("small"))
    for gid, age in (("N29", 29), ("N30", 30)):
        contactable(lz, gid)
        owes(lz, gid, D, age)
    for gid, days in (("I6", 6), ("I7", 7)):
        contactable(lz, gid)
        owes(lz, gid, D, 40, "300.00")
        lz.plan(
            f"PL-{gid}",
            gid,
            created_at="2026-11-01",
            installment_amount="100.00",
            installment_count=3,
            first_due_date=(D + timedelta(days=days)).isoformat(),
        )
    feed(lz, D)
    return lz.build(D, select="+fct_queue_items")


def test_new_balances_are_those_under_30_days(wh):
    new = {r[0] for r in wh.rows("SELECT guarantor_id FROM marts.fct_queue_items WHERE queue = 'new_balance'")}
    assert new == {"N29"}


def test_the_next_7_days_are_7_days(wh):
    due = {
        r[0]: r[1]
        for r in wh.rows("SELECT guarantor_id, due_date FROM marts.fct_queue_items WHERE queue = 'plans_due'")
    }
    assert due == {"I6": D + timedelta(days=6)}
