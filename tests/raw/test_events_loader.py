"""SendGrid Event Webhook batches: every event type loads; only opaque ids and a hash of the address stay."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

import duckdb
import pytest

from orchestration.raw.checked_casts import CastContext
from orchestration.raw.ingest import ingest_kind
from orchestration.raw.schema import ensure_schema
from tests.conftest import SHARED_DATA


def _load(root):
    con = duckdb.connect()
    ensure_schema(con)
    outcomes = ingest_kind(con, root, "sendgrid_events", ctx=CastContext("America/Chicago", date(2026, 11, 27)))
    return con, outcomes


def test_own_batch(tmp_path):
    d = tmp_path / "events" / "sendgrid"
    d.mkdir(parents=True)
    (d / "batch1.json").write_text(
        json.dumps(
            [
                {
                    "event": "delivered",
                    "email": "Ann@Example.com",
                    "timestamp": 1763650000,
                    "sg_event_id": "e1",
                    "sg_message_id": "m1",
                    "touch_id": "t-1",
                    "guarantor_id": "G1",
                },
                {
                    "event": "unsubscribe",
                    "email": "ann@example.com",
                    "timestamp": 1763650100,
                    "sg_event_id": "e2",
                    "touch_id": "t-1",
                    "guarantor_id": "G1",
                },
                {
                    "event": "bounce",
                    "email": "x@example.com",
                    "timestamp": 1763650200,
                    "sg_event_id": "e3",
                    "reason": "550 no such user",
                    "type": "bounce",
                },
                {"event": "made_up"},
            ]
        )
    )
    (d / "broken.json").write_text("[{")
    con, outcomes = _load(tmp_path)
    by = {o.file.name: o for o in outcomes}
    assert by["events/sendgrid/batch1.json"].rows_loaded == 3
    assert by["events/sendgrid/batch1.json"].rows_rejected == 1
    assert by["events/sendgrid/broken.json"].status == "quarantined"
    rows = con.execute(
        "SELECT event, touch_id, guarantor_id, email_sha256, event_at, bounce_type "
        "FROM raw.sendgrid_events ORDER BY sg_event_id"
    ).fetchall()
    digest = hashlib.sha256(b"ann@example.com").hexdigest()
    assert rows[0][:4] == ("delivered", "t-1", "G1", digest) and rows[1][3] == digest
    assert rows[0][4] == datetime(2025, 11, 20, 14, 46, 40)
    assert rows[2][5] == "bounce"
    cols = [r[0] for r in con.execute("DESCRIBE raw.sendgrid_events").fetchall()]
    assert "email" not in cols


@pytest.mark.skipif(not (SHARED_DATA / "sendgrid-events").is_dir(), reason="shared data not present")
def test_shared_sendgrid_events_all_load(tmp_path):
    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "sendgrid").symlink_to(SHARED_DATA / "sendgrid-events")
    con, outcomes = _load(tmp_path)
    assert {o.status for o in outcomes} == {"loaded"}
    counts = dict(con.execute("SELECT _file_name, count(*) FROM raw.sendgrid_events GROUP BY 1").fetchall())
    assert counts == {
        "events/sendgrid/events_anymail_recorded.json": 8,
        "events/sendgrid/events_sendgrid_test_integration_all_types.json": 11,
    }
    events = {r[0] for r in con.execute("SELECT DISTINCT event FROM raw.sendgrid_events").fetchall()}
    assert {"spamreport", "unsubscribe", "group_unsubscribe", "bounce", "dropped", "delivered"} <= events
