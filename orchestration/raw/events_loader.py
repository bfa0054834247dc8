"""Load SendGrid Event Webhook batches (JSON arrays) into raw.sendgrid_events.

Only what the pipeline needs is kept: the event, its time, the opaque ids the pipeline put in
`custom_args` (SendGrid posts them as top-level keys), and a SHA-256 of the lower-cased
address so opt-outs of messages sent outside the pipeline can still be matched without
storing the address itself.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import duckdb

from orchestration.raw.files import FileOutcome, LandingFile, utcnow
from orchestration.raw.schema import OTHER_RAW_TABLES

EVENTS = {"processed", "delivered", "deferred", "bounce", "dropped", "open", "click",
          "spamreport", "unsubscribe", "group_unsubscribe", "group_resubscribe"}


def _row(e: dict, f: LandingFile, now: datetime) -> tuple:
    ts = e.get("timestamp")
    event_at = datetime.fromtimestamp(int(ts), timezone.utc).replace(tzinfo=None) if ts is not None else None
    email = e.get("email")
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest() if isinstance(email, str) else None
    asm = e.get("asm_group_id")
    return (e.get("sg_event_id"), e.get("sg_message_id"), e.get("event"), event_at,
            _s(e.get("touch_id")), _s(e.get("guarantor_id")), digest, _s(e.get("reason")),
            _s(e.get("status")), _s(e.get("type")), int(asm) if isinstance(asm, (int, str)) and str(asm).isdigit() else None,
            f.name, f.sha256, now)


def _s(v: object) -> str | None:
    return None if v is None else str(v)


def load_events(con: duckdb.DuckDBPyConnection, f: LandingFile) -> FileOutcome:
    out = FileOutcome(f)
    try:
        events = json.loads(f.path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        out.status, out.reason = "quarantined", f"unreadable JSON: {exc}"
        return out
    if isinstance(events, dict):
        events = [events]
    if not isinstance(events, list):
        out.status, out.reason = "quarantined", "expected a JSON array of events"
        return out
    now = utcnow()
    rows, bad = [], 0
    for e in events:
        if not isinstance(e, dict) or e.get("event") not in EVENTS:
            bad += 1
            continue
        try:
            rows.append(_row(e, f, now))
        except (TypeError, ValueError, OverflowError):
            bad += 1
    if rows:
        import pyarrow as pa   # here, not at module level: the code location loads without pyarrow
        cols = [c for c, _ in OTHER_RAW_TABLES["sendgrid_events"]]
        con.register("_events", pa.table({c: pa.array([r[i] for r in rows], type=pa.string())
                                          if c not in ("event_at", "_loaded_at", "asm_group_id")
                                          else pa.array([r[i] for r in rows])
                                          for i, c in enumerate(cols)}))
        con.execute("INSERT INTO raw.sendgrid_events SELECT * FROM _events")
        con.unregister("_events")
    out.rows_read, out.rows_loaded, out.rows_rejected = len(events), len(rows), bad
    if bad:
        out.warnings.append(f"{bad} event(s) skipped: not an object or unknown event type")
    return out
