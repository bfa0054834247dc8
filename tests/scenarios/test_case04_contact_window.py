"""Case 4 (issue 15): a text, e-mail or call that cannot go out inside today's 08:00–21:00
window in the guarantor's local time is deferred with the reason — in the hold report, never
recorded as sent, not an attempt — and planned again the next morning (docs/rules.md §4
"Contact window", 12 CFR 1006.6(b)(1)(i)).

The landing sensor starts a run at 20:30 in Chicago: 21:30 in New York. The plan defers the
Eastern guarantors' text, e-mail and call (their window has closed) and keeps the Central
and Pacific texts and the Eastern letter (mail has no hour). The hand-off runs at 21:05 in
Chicago: the Central window has closed meanwhile, so that text is deferred at hand-off, on
the run's clock; the Pacific one leaves with its window."""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, date, datetime, timedelta

import pytest

from orchestration.actions.outreach.dispatch import dispatch
from orchestration.policy.policy import load_policy
from tests.scenarios.people import HANDOFF, contactable, feed, owes, touches
from tests.warehouse.harness import Landing, Warehouse, dbt_build

pytestmark = pytest.mark.slow(runs=2)  # scheduling: tests/conftest.py

D = date(2026, 11, 20)
ENV = {"COLLECTIONS_PAYLINK_SECRET": "ab" * 32}
PEOPLE = {  # guarantor: (state, age) — the age picks the step due today
    "E_SMS": ("NY", 5),
    "E_EMAIL": ("NY", 19),
    "E_CALL": ("NY", 27),
    "E_MAIL": ("NY", 12),
    "C_SMS": ("IL", 5),
    "P_SMS": ("CA", 5),
}


@pytest.fixture(scope="module")
def evening(tmp_path_factory, dbt_manifest):
    lz = Landing(tmp_path_factory.mktemp("window"))
    for gid, (state, age) in PEOPLE.items():
        contactable(lz, gid, state=state, household_id=gid)
        owes(lz, gid, D, age)
    feed(lz, D)
    wh = lz.build(D, run_started_at=lz.local(D, 20, 30), select=HANDOFF)  # the sensor's late-evening run
    return lz, wh


def test_the_plan_defers_what_is_past_its_window(evening):
    _, wh = evening
    assert touches(wh, "E_SMS") == {"sms_reminder": ("held", "contact_window_closed")}
    assert touches(wh, "E_EMAIL")["email_context"] == ("held", "contact_window_closed")
    assert touches(wh, "E_CALL")["live_call"] == ("held", "contact_window_closed")
    assert touches(wh, "E_MAIL")["statement_1"] == ("due", None)  # a letter has no hour
    assert touches(wh, "C_SMS") == {"sms_reminder": ("due", None)}  # open until 21:00 CT
    assert touches(wh, "P_SMS") == {"sms_reminder": ("due", None)}
    report = {r[0]: r[1:] for r in wh.rows("SELECT guarantor_id, rule, citation FROM marts.rpt_hold_report")}
    assert report == {g: ("contact_window_closed", "12 CFR 1006.6(b)(1)(i)") for g in ("E_SMS", "E_EMAIL", "E_CALL")}
    end = wh.one("SELECT contact_window_end_at FROM intermediate.int_touch_guardrails WHERE guarantor_id = 'E_SMS'")
    assert end == datetime(2026, 11, 21, 2, 0)  # 21:00 EST in UTC


@pytest.fixture(scope="module")
def handed_off(evening, tmp_path_factory):
    lz, wh = evening
    root = tmp_path_factory.mktemp("handoff")
    path = root / "warehouse.duckdb"
    shutil.copy(wh.path, path)
    outbox = root / "outbox"
    policy = load_policy(lz.policy_path())
    at = lz.local(D, 21, 5).astimezone(UTC)  # the hand-off, 35 minutes later
    reports = {
        c: dispatch(c, warehouse=path, outbox=outbox, policy=policy, as_of=D, now=at, environ=ENV)
        for c in ("sms", "email", "mail", "phone")
    }
    return lz, path, outbox, reports


def _ledger(path) -> dict[str, tuple]:
    return {
        r[0]: (r[1], r[2])
        for r in Warehouse(path).rows("SELECT guarantor_id, status, status_reason FROM ops.send_ledger")
    }


def test_nothing_leaves_after_its_window_and_the_ledger_says_why(handed_off):
    _, path, outbox, reports = handed_off
    ledger = _ledger(path)
    for gid in ("E_SMS", "E_EMAIL", "E_CALL", "C_SMS"):
        assert ledger[gid] == ("deferred", "contact_window_closed"), gid
    assert ledger["P_SMS"][0] == "sent" and ledger["E_MAIL"][0] == "sent"
    day = outbox / D.isoformat()
    texted = {r["touch_id"] for f in (day / "sms").glob("*.csv") for r in csv.DictReader(f.open())}
    ids = dict(Warehouse(path).rows("SELECT guarantor_id, touch_id FROM ops.send_ledger"))
    assert texted == {ids["P_SMS"]}
    assert not (day / "calls").exists() and not list((day / "email").glob("*.json"))
    assert reports["sms"].deferred == 2 and reports["sms"].handed_off == 1
    assert reports["phone"].deferred == 1 and reports["email"].deferred == 1


def test_deferred_is_no_attempt_and_goes_out_the_next_morning(handed_off):
    lz, path, _, _ = handed_off
    nxt = D + timedelta(days=1)
    import duckdb

    from orchestration.raw.schema import write_run_context

    con = duckdb.connect(str(path))
    try:
        write_run_context(con, nxt, "next", lz.local(nxt, 6))
        # the night's export arrived 23:00 on D (the nightly file)
        con.execute(
            "UPDATE raw.file_ledger SET mtime_ns = ? WHERE kind = 'patient_transactions'",
            [int(lz.local(D, 23).timestamp()) * 10**9],
        )
    finally:
        con.close()
    dbt_build(path, select=HANDOFF, indirect_selection="cautious")
    wh = Warehouse(path)
    attempts = {r[0] for r in wh.rows("SELECT guarantor_id FROM intermediate.int_outreach_attempts")}
    assert attempts == {"P_SMS", "E_MAIL"}
    assert touches(wh, "E_SMS") == {"sms_reminder": ("due", None)}
    assert touches(wh, "C_SMS") == {"sms_reminder": ("due", None)}
    assert touches(wh, "E_CALL")["live_call"] == ("due", None)
