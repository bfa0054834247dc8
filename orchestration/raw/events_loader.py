"""Load SendGrid Event Webhook batches (JSON arrays) into raw.sendgrid_events
(docs/landing.md, "SendGrid events").

Only what the pipeline needs is kept: the event, its time, the opaque ids the pipeline put in
`custom_args` (SendGrid posts them as top-level keys; a `custom_args` / `unique_args` object,
as some proxies forward them, is read too), and a SHA-256 of the lower-cased address so
opt-outs of messages sent outside the pipeline can still be matched without storing the
address itself.

An unsubscribe, spam report or bounce must never be lost, so an event is refused (a row of
`raw.load_rejects`, line = its position in the array) only when it cannot be used at all: not a
JSON object, an unknown event type, or nothing that identifies a recipient (no e-mail address,
guarantor_id or touch_id). Everything else loads:
- `timestamp` in the forms SendGrid and its proxies send: Unix seconds (number or digits),
  milliseconds or microseconds, an ISO 8601 string (no offset = UTC) or an e-mail style date
  (`Thu, 20 Nov 2025 14:46:40 GMT`); an event without a
  usable time is taken as of its file's arrival (its modification time; at the latest the
  load), so an opt-out with no time still takes effect for the runs after it arrived
  (`event_at_source = 'file_arrival'`, and a warning on the file);
- no `sg_event_id`: a deterministic id is made from the event's content
  (`synthetic-<SHA-256 of its canonical JSON>`), so a re-sent batch stays idempotent;
- an event whose id another file already loaded (a webhook retry, a re-sent batch) is not
  loaded twice (a warning counts them).
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import math
from datetime import UTC, datetime

import duckdb

from orchestration.landing.contract import DATE_MAX, DATE_MIN, SENDGRID_EVENTS
from orchestration.raw import sniff
from orchestration.raw.files import FileOutcome, LandingFile, utcnow
from orchestration.raw.schema import OTHER_RAW_TABLES

# the contract's events and group_resubscribe, which docs/landing.md also takes
EVENTS = {*SENDGRID_EVENTS, "group_resubscribe"}
_LO = datetime(DATE_MIN.year, DATE_MIN.month, DATE_MIN.day)
_HI = datetime(DATE_MAX.year, DATE_MAX.month, DATE_MAX.day)
NO_RECIPIENT = "cannot identify a recipient (no email, guarantor_id or touch_id)"


def event_time(ts: object) -> datetime | None:
    """The instant (naive UTC) of a SendGrid `timestamp` in any form its senders use, else None."""
    if isinstance(ts, bool) or ts is None:
        return None
    if isinstance(ts, str):
        text = ts.strip()
        try:
            ts = float(text)
        except ValueError:
            return _iso(text)
    if not isinstance(ts, (int, float)) or not math.isfinite(ts) or ts <= 0:
        return None
    for scale in (1, 1e3, 1e6):  # seconds, milliseconds, microseconds
        if ts / scale < 1e11:  # 1e11 s is past the year 5000
            try:
                out = datetime.fromtimestamp(ts / scale, UTC).replace(tzinfo=None)
            except (OverflowError, OSError, ValueError):
                return None
            return out if _LO <= out <= _HI else None
    return None


def _iso(text: str) -> datetime | None:
    """ISO 8601 (no offset = UTC), else an e-mail style date (`Thu, 20 Nov 2025 14:46:40 GMT`)."""
    try:
        out = datetime.fromisoformat(text.replace(" UTC", "Z"))
    except ValueError:
        try:
            out = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if out.tzinfo is not None:
        try:
            out = out.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:
            return None
    return out if _LO <= out <= _HI else None


def _arg(e: dict, key: str) -> str | None:
    """A custom arg: top level (SendGrid), else inside custom_args / unique_args (proxies)."""
    v = e.get(key)
    for nest in ("custom_args", "unique_args"):
        if v is None and isinstance(e.get(nest), dict):
            v = e[nest].get(key)
    if v is None or isinstance(v, (dict, list)):
        return None
    v = str(v).strip()
    return v or None


def synthetic_id(e: dict) -> str:
    """A stable id for an event without `sg_event_id`: the same event re-sent gets the same id."""
    canonical = json.dumps(e, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return "synthetic-" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _s(v: object) -> str | None:
    return None if v is None or isinstance(v, (dict, list)) else str(v)


def load_events(con: duckdb.DuckDBPyConnection, f: LandingFile) -> FileOutcome:
    out = FileOutcome(f)
    data = f.path.read_bytes()
    looks = sniff.binary_format(data[: sniff.HEAD_BYTES])
    if looks:
        out.status, out.reason = "quarantined", sniff.reason(looks, "events")
        return out
    try:
        events = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        out.status, out.reason = "quarantined", "unreadable JSON: not UTF-8 encoded" + sniff.latin1_hint(data)
        return out
    except json.JSONDecodeError as exc:
        looks = sniff.events_format(data[: sniff.HEAD_BYTES], data)
        out.status = "quarantined"
        out.reason = sniff.reason(looks, "events") if looks else f"unreadable JSON: {exc}"
        return out
    if isinstance(events, dict):
        events = [events]
    if not isinstance(events, list):
        out.status, out.reason = "quarantined", "expected a JSON array of events"
        return out
    now = utcnow()
    arrival = min(datetime.fromtimestamp(f.mtime_ns / 1e9, UTC).replace(tzinfo=None), now)
    rows, rejects, untimed = [], [], 0
    for line, e in enumerate(events, 1):
        if not isinstance(e, dict):
            rejects.append((line, "(event)", "not a JSON object"))
            continue
        kind = e.get("event").strip().lower() if isinstance(e.get("event"), str) else None
        if kind not in EVENTS:
            rejects.append((line, "event", "unknown event type"))
            continue
        email = e.get("email")
        email = email.strip().lower() if isinstance(email, str) and email.strip() else None
        touch_id, guarantor_id = _arg(e, "touch_id"), _arg(e, "guarantor_id")
        if email is None and touch_id is None and guarantor_id is None:
            rejects.append((line, "(event)", NO_RECIPIENT))
            continue
        event_at, source = event_time(e.get("timestamp")), "sendgrid"
        if event_at is None:
            event_at, source = arrival, "file_arrival"
            untimed += 1
        sg_id = e.get("sg_event_id")
        sg_id = str(sg_id).strip() if sg_id is not None and str(sg_id).strip() else synthetic_id(e)
        asm = e.get("asm_group_id")
        asm = (
            int(asm)
            if isinstance(asm, (int, str)) and not isinstance(asm, bool) and str(asm).isdigit() and int(asm) < 2**31
            else None
        )
        digest = hashlib.sha256(email.encode()).hexdigest() if email else None
        rows.append(
            {
                "sg_event_id": sg_id,
                "sg_message_id": _s(e.get("sg_message_id")),
                "event": kind,
                "event_at": event_at,
                "touch_id": touch_id,
                "guarantor_id": guarantor_id,
                "email_sha256": digest,
                "reason": _s(e.get("reason")),
                "status": _s(e.get("status")),
                "bounce_type": _s(e.get("type")),
                "asm_group_id": asm,
                "_file_name": f.name,
                "_file_sha256": f.sha256,
                "_loaded_at": now,
                "_line": line,
                "event_at_source": source,
            }
        )
    seen = (
        {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT sg_event_id FROM raw.sendgrid_events WHERE _file_name <> ? "
                "AND sg_event_id IN (SELECT unnest(?::VARCHAR[]))",
                [f.name, [r["sg_event_id"] for r in rows]],
            ).fetchall()
        }
        if rows
        else set()
    )
    fresh = []
    for r in rows:
        if r["sg_event_id"] not in seen:
            seen.add(r["sg_event_id"])
            fresh.append(r)
    again, rows = len(rows) - len(fresh), fresh
    if rows:
        import pyarrow as pa  # here, not at module level: the code location loads without pyarrow

        cols = [c for c, _ in OTHER_RAW_TABLES["sendgrid_events"]]
        con.register(
            "_events",
            pa.Table.from_pylist(
                rows,
                schema=pa.schema(
                    [
                        (
                            c,
                            {
                                "event_at": pa.timestamp("us"),
                                "_loaded_at": pa.timestamp("us"),
                                "asm_group_id": pa.int32(),
                                "_line": pa.int64(),
                            }.get(c, pa.string()),
                        )
                        for c in cols
                    ]
                ),
            ),
        )
        con.execute(f"INSERT INTO raw.sendgrid_events ({', '.join(cols)}) SELECT {', '.join(cols)} FROM _events")
        con.unregister("_events")
    if rejects:
        con.executemany(
            "INSERT INTO raw.load_rejects VALUES (?, ?, 'sendgrid_events', ?, ?, ?, NULL, ?)",
            [(f.name, f.sha256, line, col, why, now) for line, col, why in rejects],
        )
    out.rows_read, out.rows_loaded, out.rows_rejected = len(events), len(rows), len(rejects)
    if again:
        out.warnings.append(f"{again} event(s) already loaded (same sg_event_id): not loaded again")
    if rejects:
        out.warnings.append(f"{len(rejects)} event(s) refused (raw.load_rejects has each one's reason)")
    if untimed:
        out.warnings.append(
            f"{untimed} event(s) without a usable timestamp: taken as of the file's arrival "
            f"({arrival:%Y-%m-%d %H:%M:%S} UTC)"
        )
    return out
