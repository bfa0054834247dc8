"""The send-ledger protocol on a real DuckDB file: idempotent plan, mark, crash recovery."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.actions.outreach import ledger, sms
from orchestration.actions.outreach.model import SendResult
from orchestration.raw.schema import ensure_schema
from tests.actions.conftest import make_touch

AS_OF = date(2026, 11, 20)


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    ensure_schema(con)
    con.close()
    return path


def _rows(db):
    with duckdb.connect(str(db), read_only=True) as con:
        cur = con.execute("SELECT touch_id, status, status_reason, provider_message_id FROM ops.send_ledger ORDER BY 1")
        return cur.fetchall()


def test_plan_is_idempotent_and_holds_the_file_briefly(db):
    touches = [make_touch(i, step="sms_reminder", channel="sms") for i in range(1, 4)]
    assert ledger.plan(db, touches + touches[:1]) == ["T000001", "T000002", "T000003"]
    # the file is free again: another process could open it now
    duckdb.connect(str(db), read_only=True).close()
    assert ledger.plan(db, touches) == []
    assert len(_rows(db)) == 3
    assert {s for _, s, _, _ in _rows(db)} == {"planned"}
    more = touches + [make_touch(4, step="sms_reminder", channel="sms")]
    assert ledger.plan(db, more) == ["T000004"]


def test_mark_and_deferred_replan(db):
    touches = [make_touch(i) for i in range(1, 5)]
    ledger.plan(db, touches)
    now = datetime(2026, 11, 20, 15, tzinfo=UTC)
    ignored = ledger.mark(
        db,
        [
            SendResult("T000001", "sent", None, "msg1", now),
            SendResult("T000002", "failed", "HTTP 400: bad", None),
            SendResult("T000003", "failed", "not sent: HTTP 429", None, retryable=True),
            SendResult("T000004", "skipped", "invalid email address"),
            SendResult("T999999", "sent", None, "x", now),
        ],
    )
    assert ignored == ["T999999"]
    assert _rows(db) == [
        ("T000001", "sent", None, "msg1"),
        ("T000002", "failed", "HTTP 400: bad", None),
        ("T000003", "deferred", "not sent: HTTP 429", None),
        ("T000004", "skipped", "invalid email address", None),
    ]
    # a sent touch cannot be marked again; a deferred one is re-planned next run
    assert ledger.mark(db, [SendResult("T000001", "failed", "late")]) == ["T000001"]
    assert ledger.plan(db, touches) == ["T000003"]
    assert ledger.statuses(db)["T000003"] == "planned"


def _sms_run(db, outbox: Path, touches, clinic, *, crash_after_file=False, crash_before_file=False):
    """One SMS run following the protocol; returns the batch file written (if any)."""
    ledger.recover(db, outbox)
    ready = set(ledger.plan(db, touches))
    todo = [t for t in touches if t["touch_id"] in ready]
    if not todo or crash_before_file:
        return None
    rows, skipped = sms.build_sms_rows(todo, clinic, lambda t: "https://pay.riverbend.example/p/abcdefghijklmnopqrst")
    folder = outbox / AS_OF.isoformat() / "sms"
    folder.mkdir(parents=True, exist_ok=True)
    path = sms.write_sms_batch(rows, folder)  # next free sms_<nnnn>.csv
    if crash_after_file:
        return path
    ledger.mark(db, [SendResult(r["touch_id"], "sent", None, f"outbox:{path.name}") for r in rows] + skipped)
    return path


def _sent_counts(outbox: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in (outbox / AS_OF.isoformat() / "sms").glob("*.csv"):
        for line in p.read_text().splitlines()[1:]:
            tid = line.split(",")[0]
            counts[tid] = counts.get(tid, 0) + 1
    return counts


def test_crash_after_hand_off_is_recovered_as_sent_never_resent(db, tmp_path, clinic):
    outbox = tmp_path / "outbox"
    touches = [make_touch(i, step="sms_reminder", channel="sms") for i in range(1, 4)]
    _sms_run(db, outbox, touches, clinic, crash_after_file=True)  # crash: plan + file, no mark
    assert {r["touch_id"] for r in ledger.pending(db)} == {"T000001", "T000002", "T000003"}
    _sms_run(db, outbox, touches, clinic)  # re-run
    _sms_run(db, outbox, touches, clinic)  # and again
    assert _sent_counts(outbox) == {"T000001": 1, "T000002": 1, "T000003": 1}
    rows = _rows(db)
    assert {s for _, s, _, _ in rows} == {"sent"}
    assert rows[0][2].startswith("recovered: 2026-11-20/sms/sms_0001.csv")
    assert ledger.pending(db) == []


def test_crash_before_hand_off_is_deferred_then_sent_once(db, tmp_path, clinic):
    outbox = tmp_path / "outbox"
    touches = [make_touch(i, step="sms_reminder", channel="sms") for i in range(1, 3)]
    _sms_run(db, outbox, touches, clinic, crash_before_file=True)  # crash: plan only
    # without recovery, plan never hands out a touch still pending from the crash
    assert ledger.plan(db, touches) == []
    _sms_run(db, outbox, touches, clinic)
    assert _sent_counts(outbox) == {"T000001": 1, "T000002": 1}
    assert {s for _, s, _, _ in _rows(db)} == {"sent"}


def test_email_crash_semantics(db, tmp_path):
    outbox = tmp_path / "outbox"
    touches = [make_touch(i) for i in range(1, 6)]
    assert len(ledger.plan(db, touches)) == 5
    # live mode: T1-T3 were in a request that started (before_send), T4 in the outbox, T5 never
    ledger.mark_sending(db, ["T000001", "T000002", "T000003"])
    email_dir = outbox / AS_OF.isoformat() / "email"
    email_dir.mkdir(parents=True)
    (email_dir / "request_0001.json").write_text(
        json.dumps({"personalizations": [{"custom_args": {"touch_id": "T000004", "guarantor_id": "G000004"}}]})
    )
    # SendGrid's events prove T2 was accepted
    with duckdb.connect(str(db)) as con:
        con.execute(
            "INSERT INTO raw.sendgrid_events (sg_event_id, sg_message_id, event, event_at, touch_id) "
            "VALUES ('e1', 'msg9.filter0001', 'processed', TIMESTAMP '2026-11-20 15:00:00', 'T000002')"
        )
    out = ledger.recover(db, outbox)
    assert out == {"sent": ["T000002", "T000004"], "deferred": ["T000005"], "failed": ["T000001", "T000003"]}
    rows = {r[0]: r[1:] for r in _rows(db)}
    assert rows["T000001"] == ("failed", "interrupted: delivery unknown", None)
    assert rows["T000002"] == ("sent", "recovered: provider event", "msg9")
    assert rows["T000004"][0:2] == ("sent", "recovered: 2026-11-20/email/request_0001.json")
    assert rows["T000005"][0] == "deferred"
    # next run: only the provably unsent touch is handed out again; unknown ones never are
    assert ledger.plan(db, touches) == ["T000005"]
