"""Case 3 (issue 15): after a telephone conversation about the debt — any call, in or out,
where the guarantor was reached, whatever its recorded outcome — no call for 7 days
(12 CFR 1006.14(b)(2); docs/rules.md §4 "Calls"). Each guarantor owes a balance whose day-25
live call is due; three days ago a call ended with the outcome of their name."""

from __future__ import annotations

from datetime import date

import pytest

from tests.scenarios.people import PLAN, contactable, feed, hold_rules, owes, touches
from tests.warehouse.harness import Landing

D = date(2026, 11, 20)
REACHED = [  # (guarantor, channel, direction, outcome)
    ("R_PROMISE", "call", "outbound", "promise_to_pay"),
    ("R_PLAN", "call", "outbound", "plan_requested"),
    ("R_DISPUTE", "inbound_call", "inbound", "dispute_raised"),
    ("R_REFUSED", "call", "outbound", "refused"),
    ("R_COMPLAINT", "inbound_call", "inbound", "complaint"),
    ("R_CONNECTED", "call", "outbound", "connected"),
    ("R_INBOUND", "inbound_call", "inbound", "promise_to_pay"),
]
NOT_REACHED = [("N_VOICEMAIL", "call", "outbound", "voicemail"), ("N_NO_ANSWER", "call", "outbound", "no_answer")]


@pytest.fixture(scope="module")
def wh(tmp_path_factory, dbt_manifest):
    lz = Landing(tmp_path_factory.mktemp("conversation"))
    for gid, channel, direction, outcome in REACHED + NOT_REACHED:
        contactable(lz, gid, email_consent_at="")  # no e-mail: a dispute review cannot take the slot
        owes(lz, gid, D, 27)
        lz.contact(
            f"C-{gid}",
            gid,
            occurred_at="2026-11-17T16:00:00Z",
            channel=channel,
            direction=direction,
            outcome=outcome,
            **({"promised_amount": "50.00", "promised_date": "2026-12-01"} if outcome == "promise_to_pay" else {}),
        )
    contactable(lz, "R_EIGHT_DAYS", email_consent_at="")
    owes(lz, "R_EIGHT_DAYS", D, 27)
    lz.contact("C-R8", "R_EIGHT_DAYS", occurred_at="2026-11-12T16:00:00Z", outcome="refused")  # D − 8
    feed(lz, D)
    return lz.build(D, select=PLAN)


@pytest.mark.parametrize("gid", [g for g, *_ in REACHED])
def test_any_call_that_reached_the_guarantor_rests_calls(wh, gid):
    assert (
        wh.one("SELECT has_recent_conversation FROM intermediate.int_touch_guardrails WHERE guarantor_id = ?", [gid])
        is True
    )
    assert touches(wh, gid)["live_call"][0] == "held"
    assert "recent_conversation" in hold_rules(wh, gid, "live_call")
    assert wh.one(
        "SELECT citation FROM marts.rpt_hold_report WHERE guarantor_id = ? AND step = 'live_call' "
        "AND all_rules LIKE '%recent_conversation%'",
        [gid],
    ) in ("12 CFR 1006.14(b)(2)", None)


@pytest.mark.parametrize("gid", [g for g, *_ in NOT_REACHED] + ["R_EIGHT_DAYS"])
def test_a_call_that_reached_nobody_or_eight_days_ago_does_not(wh, gid):
    assert (
        wh.one("SELECT has_recent_conversation FROM intermediate.int_touch_guardrails WHERE guarantor_id = ?", [gid])
        is False
    )
    assert touches(wh, gid)["live_call"] == ("due", None)
