"""`--clock scheduled` (make demo, the benchmarks): a rehearsal of D's 06:00 scheduled run.

The sample clinic's files arrive at 23:30 clinic time the evening before D; a run started at the
real "now", weeks later, would find the export stale and hold every touch (docs/rules.md §4).
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from orchestration.core.clock import parse_instant
from orchestration.policy.policy import DEFAULT_POLICY_PATH
from orchestration.run import scheduled_clock


def test_scheduled_clock_is_six_in_the_morning_of_d_in_the_clinics_zone(tmp_path):
    clock = scheduled_clock(date(2026, 11, 20), DEFAULT_POLICY_PATH)  # America/Chicago
    assert parse_instant(clock) == datetime(2026, 11, 20, 6, 0, tzinfo=ZoneInfo("America/Chicago"))
    assert clock == "2026-11-20T12:00:00+00:00"

    eastern = tmp_path / "policy.yaml"
    eastern.write_text(DEFAULT_POLICY_PATH.read_text().replace("America/Chicago", "America/New_York", 1))
    summer = scheduled_clock(date(2026, 7, 1), eastern)
    assert summer == "2026-07-01T10:00:00+00:00"  # 06:00 EDT


def test_an_unreadable_policy_leaves_the_failure_to_the_run(tmp_path):
    bad = tmp_path / "policy.yaml"
    bad.write_text("clinic: [not yaml")
    assert scheduled_clock(date(2026, 11, 20), bad) is None
    assert scheduled_clock(date(2026, 11, 20), tmp_path / "missing.yaml") is None
