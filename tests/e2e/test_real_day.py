"""A real clinic's day, end to end (issue 15; docs/rules.md §4): the real daily job on a small
hand-built clinic whose files arrive the way a clinic's do.

* The nightly export lands at 23:00 on D−1 (file times). The schedule's 06:00 run sends the
  day's touches: nothing is held as stale, a text to a guarantor in New York is handed off with
  its 08:00–21:00 Eastern window.
* At 20:00 a late file brings two new guarantors; the landing sensor starts a run at 20:30 in
  Chicago (21:30 in New York): the Central guarantor's text still goes out, the Eastern one's is
  deferred — in the hold report, recorded deferred, not sent — and the next morning's run
  sends it.
* A re-run of D changes no handed-off file (reports may be rebuilt) and no ledger row."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration.core.settings import folder_env
from tests.e2e.conftest import environment, run_daily
from tests.scenarios.people import contactable, feed, owes
from tests.warehouse.harness import Landing

pytestmark = [pytest.mark.e2e, pytest.mark.slow(runs=4)]  # scheduling: tests/conftest.py

D = date(2026, 11, 20)
MORNING = {  # guarantor: (state, age)
    "M_SMS_CT": ("IL", 5),
    "M_SMS_ET": ("NY", 5),
    "M_MAIL_ET": ("NY", 12),
    "M_EMAIL_PT": ("CA", 19),
    "M_CALL_CT": ("IL", 27),
}


def _q(root: Path, sql: str, params=None):
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _handed_off(root: Path, day: date) -> dict[str, str]:
    """touch_id -> its file, from every outbox file of the day that names touches."""
    from orchestration.actions.outreach.ledger import find_handed_off

    return find_handed_off(root / "outbox" / day.isoformat())


def _outbox(root: Path) -> dict[str, bytes]:
    """Every handed-off file (reports may be rebuilt by a re-run)."""
    out = root / "outbox"
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in out.rglob("*")
        if p.is_file() and "reports" not in p.relative_to(out).parts
    }


LEDGER = "SELECT guarantor_id, status FROM ops.send_ledger WHERE status <> 'skipped'"
TOUCH_LEDGER = "SELECT touch_id, status FROM ops.send_ledger"


@pytest.fixture(scope="module")
def day(tmp_path_factory, dbt_manifest):
    root = tmp_path_factory.mktemp("real_day")
    lz = Landing(root)
    for gid, (state, age) in MORNING.items():
        contactable(lz, gid, state=state)
        owes(lz, gid, D, age)
    feed(lz, D)
    lz._as_of = D  # the night before D: files arrive at 23:00
    lz.write()
    env = {
        **folder_env(root),
        "COLLECTIONS_POLICY_PATH": str(lz.policy_path()),
        "SENDGRID_API_KEY": None,
        "COLLECTIONS_PAYLINK_SECRET": None,
    }
    with environment(env):
        state = {}
        assert run_daily(D, started_at=lz.local(D, 6)).success  # the schedule
        state["morning"] = {
            "ledger": dict(_q(root, LEDGER)),
            "holds": _q(root, "SELECT guarantor_id, rule FROM marts.rpt_hold_report"),
            "sent": {t for t, s in _q(root, TOUCH_LEDGER) if s == "sent"},
            "files": _handed_off(root, D),
            "sms_rows": [
                r for f in (root / "outbox" / D.isoformat() / "sms").glob("*.csv") for r in csv.DictReader(f.open())
            ],
        }
        # 20:00: a late file with two new guarantors; the sensor's run at 20:30 Chicago time
        for gid, state_code in (("L_SMS_CT", "IL"), ("L_SMS_ET", "NY")):
            contactable(lz, gid, state=state_code)
            owes(lz, gid, D, 5)
        lz.arrive("guarantors", lz.local(D, 20))
        lz.arrive("encounters", lz.local(D, 20))
        lz.write()
        assert run_daily(D, started_at=lz.local(D, 20, 30)).success
        state["evening"] = {
            "ledger": dict(_q(root, LEDGER)),
            "touches": dict(_q(root, TOUCH_LEDGER)),
            "reasons": dict(
                _q(root, "SELECT guarantor_id, status_reason FROM ops.send_ledger WHERE status = 'deferred'")
            ),
            "holds": dict(_q(root, "SELECT guarantor_id, rule FROM marts.rpt_hold_report")),
            "files": _handed_off(root, D),
            "outbox": _outbox(root),
        }
        # the same date once more, a little later
        assert run_daily(D, started_at=lz.local(D, 20, 45)).success
        state["rerun"] = {"touches": dict(_q(root, TOUCH_LEDGER)), "outbox": _outbox(root)}
        # the next morning: the deferred text goes out
        nxt = D + timedelta(days=1)
        feed(lz, nxt)
        lz._as_of = nxt
        lz.arrivals.clear()
        lz.write()
        assert run_daily(nxt, started_at=lz.local(nxt, 6)).success
        state["next"] = {
            "ledger": dict(_q(root, LEDGER)),
            "attempts": {r[0] for r in _q(root, "SELECT guarantor_id FROM intermediate.int_outreach_attempts")},
        }
        yield state


def test_the_morning_run_sends_the_days_touches(day):
    m = day["morning"]
    assert m["holds"] == []  # nothing stale, nothing late
    assert m["ledger"] == {g: "sent" for g in MORNING}
    assert m["sent"] == set(m["files"])  # what a file names, and only that
    eastern = [r for r in m["sms_rows"] if r["send_before"] == "2026-11-21T02:00:00Z"]
    assert len(eastern) == 1 and eastern[0]["send_after"] == "2026-11-20T13:00:00Z"  # 08:00–21:00 EST


def test_the_late_evening_run_defers_what_is_past_its_window(day):
    e = day["evening"]
    assert e["ledger"]["L_SMS_CT"] == "sent"  # 20:30 in Chicago: still open
    assert e["ledger"]["L_SMS_ET"] == "deferred"  # 21:30 in New York: closed
    assert e["reasons"] == {"L_SMS_ET": "contact_window_closed"}
    assert e["holds"] == {"L_SMS_ET": "contact_window_closed"}
    assert {t for t, s in e["touches"].items() if s == "sent"} == set(e["files"])


def test_a_rerun_of_the_date_changes_no_handed_off_file(day):
    assert day["rerun"]["outbox"] == day["evening"]["outbox"]
    assert day["rerun"]["touches"] == day["evening"]["touches"]


def test_the_next_morning_sends_what_was_deferred(day):
    n = day["next"]
    assert n["ledger"]["L_SMS_ET"] == "sent"
    assert "L_SMS_CT" in n["attempts"] and "L_SMS_ET" not in n["attempts"]  # deferred on D: no attempt
