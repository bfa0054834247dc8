"""The hand-off's own rules (docs/rules.md §4 "Contact window", "Exactly once, and re-runs"):
the window is checked again on the run's clock, and a touch that fails at hand-off keeps the
day's slot (recorded failed, not skipped). Pure functions, no warehouse."""

from __future__ import annotations

from datetime import UTC, date, datetime

from orchestration.actions.outreach.dispatch import WINDOW_CLOSED, final, split_by_window, window_day
from orchestration.actions.outreach.model import SendResult, Touch
from tests.actions.conftest import make_touch

D = date(2026, 11, 20)


def _touches() -> list[Touch]:
    return [
        Touch.coerce(make_touch(1, channel="sms", timezone="America/New_York")),
        Touch.coerce(make_touch(2, channel="sms", timezone="America/Chicago")),
        Touch.coerce(make_touch(3, channel="sms", timezone="America/Los_Angeles")),
    ]


def test_a_window_that_closed_during_the_run_defers_the_touch():
    now = datetime(2026, 11, 21, 3, 5, tzinfo=UTC)  # 21:05 in Chicago
    open_, closed = split_by_window(
        _touches(), now=now, day_of=window_day(D, now), start="08:00", end="21:00", fallback_tz="America/Chicago"
    )
    assert [t.touch_id for t in open_] == ["T000003"]  # 19:05 in Los Angeles
    assert closed == [
        SendResult("T000001", "failed", WINDOW_CLOSED, retryable=True),
        SendResult("T000002", "failed", WINDOW_CLOSED, retryable=True),
    ]


def test_a_later_day_uses_that_days_window():
    now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a re-run five days later, 09:00 CT
    open_, closed = split_by_window(
        _touches(), now=now, day_of=window_day(D, now), start="08:00", end="21:00", fallback_tz="America/Chicago"
    )
    assert len(open_) == 3 and closed == []


def test_a_handoff_skip_is_a_final_failure_that_keeps_the_slot():
    results = [
        SendResult("A", "sent", None, "file:sms_0001.csv"),
        SendResult("B", "skipped", "bad number"),
        SendResult("C", "failed", WINDOW_CLOSED, retryable=True),
    ]
    assert final(results) == [results[0], SendResult("B", "failed", "bad number"), results[2]]
