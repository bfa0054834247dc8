"""Delivery faults (issue 8 item 3, issue 4 "429 storm"): the local fake SendGrid answers 429
with rate-limit reset headers, 500, slow responses, and drops the connection after reading the
whole request. Every touch must end sent exactly once or failed with a reason, and the run's
report says which: the e-mail send log in the outbox (touch_id, status, reason), the
dispatch report (the asset's metadata) and the send ledger.

The outreach dispatcher runs for real (ledger protocol, real sendgrid client, real sleeps) on a
warehouse holding a 2,500-touch e-mail audience (three requests of 1,000/1,000/500).
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from datetime import date

import pytest

from orchestration.actions.outreach import email as em
from orchestration.actions.outreach.dispatch import dispatch
from orchestration.policy.policy import load_policy
from tests.actions.conftest import API_KEY, SECRET, make_touch
from tests.e2e.conftest import scheduled_start
from tests.reliability.test_send_gate import _write_audience, audience_row

AS_OF = date(2026, 11, 20)
N = 2500


@pytest.fixture
def email_site(tmp_path, fault_sendgrid):
    warehouse = tmp_path / "warehouse.duckdb"
    _write_audience(warehouse, [audience_row(i, "email") for i in range(1, N + 1)])
    environ = {"SENDGRID_API_KEY": API_KEY, "SENDGRID_API_HOST": fault_sendgrid.url}

    def run():
        return dispatch(
            "email",
            warehouse=warehouse,
            outbox=tmp_path / "outbox",
            policy=load_policy(),
            as_of=AS_OF,
            now=scheduled_start(AS_OF),  # the day's windows still ahead, whatever the real hour
            environ=environ,
        )

    def ledger() -> dict[str, tuple[str, str | None]]:
        import duckdb

        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            return {
                t: (s, r)
                for t, s, r in con.execute("SELECT touch_id, status, status_reason FROM ops.send_ledger").fetchall()
            }
        finally:
            con.close()

    def send_log() -> dict[str, tuple[str, str]]:
        rows = {}
        for f in sorted((tmp_path / "outbox" / AS_OF.isoformat() / "email").glob("send_log*.csv")):
            for r in csv.DictReader(f.open(newline="")):
                assert r["touch_id"] not in rows, "a touch in two send logs"
                rows[r["touch_id"]] = (r["status"], r["reason"])
        return rows

    return run, ledger, send_log, fault_sendgrid


def _assert_each_once_or_failed(ledger, server):
    accepted = Counter(server.accepted_touch_ids())
    assert set(accepted.values()) <= {1}, "a touch accepted twice"
    for t, (status, reason) in ledger.items():
        assert status in ("sent", "failed"), (t, status)
        if status == "sent":
            assert accepted[t] == 1
        else:
            assert reason, t
    return accepted


def test_429_storm_ends_with_every_touch_sent_once(email_site):
    run, ledger, send_log, server = email_site
    reset = int(time.time()) + 1
    server.script = [("429", reset)] * 4  # the first request meets a storm, then it clears
    t0 = time.monotonic()
    report = run()
    took = time.monotonic() - t0
    actions = [r["action"] for r in server.requests]
    assert actions == ["429"] * 4 + ["ok"] * 3
    assert report.handed_off == N and report.failed == report.deferred == 0
    state = ledger()
    assert Counter(s for s, _ in state.values()) == {"sent": N}
    accepted = _assert_each_once_or_failed(state, server)
    assert len(accepted) == N
    assert Counter(s for s, _ in send_log().values()) == {"sent": N}
    assert took < 30  # waited for the reset, not the backoff cap
    # the same date again: nothing new leaves
    again = run()
    assert again.handed_off == 0 and again.already_done == N and len(server.requests) == 7


def test_500_slow_and_dropped_connection_each_end_sent_once_or_failed_with_reason(email_site):
    run, ledger, send_log, server = email_site
    server.script = [
        ("500",),
        ("ok",),  # request 1: a 5xx, retried after backoff
        ("slow", 1.5),  # request 2: a slow answer, within the timeout
        ("drop",),
    ]  # request 3: read whole, then the line drops
    report = run()
    assert [r["action"] for r in server.requests] == ["500", "ok", "slow", "drop"]
    state = ledger()
    _assert_each_once_or_failed(state, server)
    dropped = {p["custom_args"]["touch_id"] for p in server.requests[3]["body"]["personalizations"]}
    assert len(dropped) == 500
    assert {state[t] for t in dropped} == {("failed", "unknown delivery state")}
    assert Counter(s for s, _ in state.values()) == {"sent": 2000, "failed": 500}
    # the run's report says which: counts in the dispatch report, every touch in the send log
    assert (report.handed_off, report.failed, report.deferred) == (2000, 500, 0)
    log = send_log()
    assert {t: s for t, (s, _) in log.items()} == {t: s for t, (s, _) in state.items()}
    assert {log[t][1] for t in dropped} == {"unknown delivery state"}
    # a re-run never resends what may have been accepted, nor what was
    run()
    assert len(server.requests) == 4
    assert ledger() == state


def test_exhausted_retries_defer_then_the_next_run_sends_once(email_site):
    run, ledger, send_log, server = email_site
    server.script = [("429", int(time.time()) + 1)] * 5  # max_attempts (5) for request 1
    report = run()
    assert report.deferred == 1000 and report.handed_off == 1500
    state = ledger()
    deferred = {t for t, (s, _) in state.items() if s == "deferred"}
    assert len(deferred) == 1000
    assert all("429" in state[t][1] for t in deferred)
    again = run()  # next run: the deferred touches go, once
    assert again.handed_off == 1000
    final = ledger()
    assert Counter(s for s, _ in final.values()) == {"sent": N}
    accepted = Counter(server.accepted_touch_ids())
    assert len(accepted) == N and set(accepted.values()) == {1}


class _Clock:
    def __init__(self):
        self.t = 1_000_000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.waits.append(s)
        self.t += s


def test_long_429_storm_honours_every_reset_header(clinic_policy, fault_sendgrid):
    """A storm of 15 consecutive 429s (reset 2 s ahead each time) over 3 requests: the sender
    waits exactly until each reset and every touch is accepted once."""
    from orchestration.actions.outreach.tokens import url_maker

    clock = _Clock()
    touches = [make_touch(i) for i in range(1, N + 1)]
    reqs, _ = em.build_requests(
        touches, clinic_policy, url_maker(clinic_policy["pay_site"], SECRET), from_email="billing@riverbend.example"
    )
    fault_sendgrid.script = [("429", clock.t + 2 * (k + 1)) for k in range(15)]
    sender = em.EmailSender(
        API_KEY, host=fault_sendgrid.url, sleep=clock.sleep, clock=clock, max_attempts=20, before_send=lambda ids: None
    )
    results = sender.send(reqs)
    assert Counter(r.status for r in results) == {"sent": N}
    assert clock.waits == [2.0] * 15
    accepted = Counter(fault_sendgrid.accepted_touch_ids())
    assert len(accepted) == N and set(accepted.values()) == {1}


def test_answer_slower_than_the_timeout_is_unknown_and_never_resent(clinic_policy, fault_sendgrid):
    from orchestration.actions.outreach.tokens import url_maker

    touches = [make_touch(i) for i in range(1, 4)]
    reqs, _ = em.build_requests(
        touches, clinic_policy, url_maker(clinic_policy["pay_site"], SECRET), from_email="billing@riverbend.example"
    )
    fault_sendgrid.script = [("slow", 2.0)]
    sender = em.EmailSender(
        API_KEY, host=fault_sendgrid.url, timeout=0.5, sleep=lambda s: None, before_send=lambda ids: None
    )
    results = sender.send(reqs)
    assert {(r.status, r.reason, r.retryable) for r in results} == {("failed", "unknown delivery state", False)}
    time.sleep(2.0)
    assert len(fault_sendgrid.requests) == 1  # the server did get (and accept) it, once


@pytest.fixture(scope="module")
def clinic_policy():
    return dict(load_policy().values["clinic"])
