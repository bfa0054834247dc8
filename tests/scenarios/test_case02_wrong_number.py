"""Case 2 (issue 15): a wrong number stays blocked until the number on file changes or a
conversation on that number happens (docs/rules.md §4 "Wrong number"); other changes to the
guarantor row do not lift it, and the returned-contact queue follows the same rule.

Three nights of one clinic, built one after the other on the same warehouse as the daily
runs would: on D1 a wrong number is known; the export of D2 re-sends the row with the same
number in E.164, a new consent and an address edit; the export of D3 brings a new number."""

from __future__ import annotations

from datetime import date

import pytest

from tests.scenarios.people import PLAN, contactable, feed, owes, touches
from tests.warehouse.harness import Landing

pytestmark = pytest.mark.slow(runs=3)  # scheduling: tests/conftest.py

D1, D2, D3 = date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)
# what the cases read: the plan, the wrong-number queue, the phone history, the contact events
SELECT = PLAN + " +fct_queue_items +int_guarantor_phone_history +int_contact_events"


def blocks(wh, gid: str) -> tuple:
    return wh.one(
        "SELECT sms_block_reason, phone_block_reason FROM intermediate.int_touch_guardrails WHERE guarantor_id = ?",
        [gid],
    )


def wrong_number_items(wh) -> set[str]:
    return {
        r[0]
        for r in wh.rows(
            "SELECT guarantor_id FROM marts.fct_queue_items "
            "WHERE queue = 'returned_contact' AND reason LIKE 'wrong number%'"
        )
    }


@pytest.fixture(scope="module")
def nights(tmp_path_factory, dbt_manifest):
    lz = Landing(tmp_path_factory.mktemp("wrong_number"))
    w1 = contactable(lz, "W1", updated_at="2026-11-01T00:00:00Z")
    owes(lz, "W1", D1, 26)
    lz.contact("C-W1", "W1", occurred_at="2026-11-19T16:00:00Z", outcome="wrong_number")
    contactable(lz, "W2", updated_at="2026-11-01T00:00:00Z")
    owes(lz, "W2", D1, 26)
    lz.contact("C-W2", "W2", occurred_at="2026-11-18T16:00:00Z", outcome="wrong_number")
    lz.contact("C-W2-OK", "W2", occurred_at="2026-11-19T17:00:00Z", outcome="connected")  # reached on it
    feed(lz, D1)
    day1 = lz.build(D1, select=SELECT)
    first = {
        "blocks": {g: blocks(day1, g) for g in ("W1", "W2")},
        "touches": touches(day1, "W1"),
        "queue": wrong_number_items(day1),
        "events": day1.dicts(
            "SELECT source_id, is_in_effect, lifted_by, wrong_number_e164 "
            "FROM intermediate.int_contact_events WHERE effect = 'wrong_number' "
            "ORDER BY source_id"
        ),
    }
    # D2's export: the same row re-sent, number in E.164, consent recorded again, address edited
    w1.update(
        phone="+13125550142",
        sms_consent_at="2026-11-20T15:00:00Z",
        address_line1="1 Main Street",
        updated_at="2026-11-20T20:00:00Z",
    )
    feed(lz, D2)
    day2 = lz.build(D2, select=SELECT)
    second = {"blocks": blocks(day2, "W1"), "touches": touches(day2, "W1"), "queue": wrong_number_items(day2)}
    # D3's export: a new number
    w1.update(phone="(312) 555-0199", updated_at="2026-11-21T20:00:00Z")
    feed(lz, D3)
    day3 = lz.build(D3, select=SELECT)
    third = {
        "blocks": blocks(day3, "W1"),
        "touches": touches(day3, "W1"),
        "queue": wrong_number_items(day3),
        "history": day3.rows(
            "SELECT phone_e164 FROM intermediate.int_guarantor_phone_history "
            "WHERE guarantor_id = 'W1' ORDER BY seen_seq"
        ),
    }
    return first, second, third


def test_a_wrong_number_blocks_texts_and_calls(nights):
    first, _, _ = nights
    assert first["blocks"]["W1"] == ("wrong_number", "wrong_number")
    assert first["touches"]["sms_reminder"] == ("skipped", "wrong_number")
    assert first["touches"]["live_call"] == ("skipped", "wrong_number")
    assert first["queue"] == {"W1"}
    assert first["events"][0] == {
        "source_id": "C-W1",
        "is_in_effect": True,
        "lifted_by": None,
        "wrong_number_e164": "+13125550142",
    }


def test_an_unrelated_update_of_the_row_does_not_lift_it(nights):
    _, second, _ = nights
    assert second["blocks"] == ("wrong_number", "wrong_number")
    assert second["touches"]["live_call"] == ("skipped", "wrong_number")
    assert second["queue"] == {"W1"}  # the work item stays, by the same rule


def test_a_new_number_lifts_it(nights):
    _, _, third = nights
    assert third["blocks"] == (None, None)
    assert third["touches"]["live_call"][0] in ("due", "held") and third["touches"]["live_call"][1] != "wrong_number"
    assert third["queue"] == set()
    assert third["history"] == [("+13125550142",), ("+13125550199",)]  # E.164 re-send added nothing


def test_a_conversation_on_that_number_lifts_it(nights):
    first, _, _ = nights
    assert first["blocks"]["W2"] == (None, None)
    assert first["events"][1] == {
        "source_id": "C-W2",
        "is_in_effect": False,
        "lifted_by": "conversation",
        "wrong_number_e164": "+13125550142",
    }
