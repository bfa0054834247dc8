"""Case 11 (issue 15): hardship support ends and is reviewed (docs/rules.md §6 "Hardship"):
with support_end left blank the policy ends it at support_start + hardship.support_max_months
(12), and the review falls hardship.review_notice_days (30) before support_start +
hardship.support_min_months (6) — support never freezes outreach forever, and staff are asked
to re-verify."""

from __future__ import annotations

from datetime import date

import pytest

from tests.scenarios.people import PLAN, contactable, feed, owes, touches
from tests.warehouse.harness import Landing

D = date(2026, 11, 20)


@pytest.fixture(scope="module")
def wh(tmp_path_factory, dbt_manifest):
    lz = Landing(tmp_path_factory.mktemp("hardship"))
    for gid, start, end in (
        ("H_ENDED", "2025-10-01", ""),
        ("H_REVIEW", "2026-05-10", ""),
        ("H_EXPLICIT", "2026-06-01", "2026-12-31"),
    ):
        contactable(lz, gid)
        owes(lz, gid, D, 5)
        lz.hardship(
            f"A-{gid}",
            gid,
            submitted_at=start,
            decided_at=start,
            outcome="approved",
            relief="extended_timeline",
            support_start=start,
            support_end=end,
        )
    feed(lz, D)
    return lz.build(D, select=PLAN + " +int_hardship_status +fct_queue_items +fct_touch_audience")


def test_a_blank_support_end_ends_at_the_policy_maximum(wh):
    status = {
        r["guarantor_id"]: r
        for r in wh.dicts(
            "SELECT guarantor_id, hardship_state, effective_support_end_date, support_end_source, review_due_date "
            "FROM intermediate.int_hardship_status"
        )
    }
    assert status["H_ENDED"]["hardship_state"] == "none"
    assert status["H_ENDED"]["effective_support_end_date"] == date(2026, 10, 1)
    assert status["H_REVIEW"]["hardship_state"] == "active"
    assert status["H_REVIEW"]["effective_support_end_date"] == date(2027, 5, 10)
    assert status["H_REVIEW"]["support_end_source"] == "policy_max_months"
    assert status["H_REVIEW"]["review_due_date"] == date(2026, 10, 11)  # Nov 10 − 30 days
    assert status["H_EXPLICIT"]["effective_support_end_date"] == date(2026, 12, 31)
    assert status["H_EXPLICIT"]["review_due_date"] == date(2026, 12, 1)


def test_outreach_resumes_when_support_ended(wh):
    assert touches(wh, "H_ENDED") == {"sms_reminder": ("due", None)}
    assert touches(wh, "H_EXPLICIT")["sms_reminder"] == ("held", "hardship_active")


def test_a_review_is_due_for_staff_and_the_guarantor(wh):
    queue = {
        r[0]: r[1]
        for r in wh.rows("SELECT guarantor_id, reason FROM marts.fct_queue_items WHERE queue = 'hardship_review'")
    }
    assert set(queue) == {"H_REVIEW"} and "review and re-verify" in queue["H_REVIEW"]
    review = touches(wh, "H_REVIEW")
    assert review["hardship_review"] == ("due", None)  # the review letter
    assert review["sms_reminder"] == ("held", "hardship_active")
    assert wh.one(
        "SELECT hardship_support_end FROM marts.fct_touch_audience "
        "WHERE guarantor_id = 'H_REVIEW' AND step = 'hardship_review'"
    ) == date(2027, 5, 10)
