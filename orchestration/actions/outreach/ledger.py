"""The send-ledger protocol on ``ops.send_ledger`` (docs/rules.md §4: nothing is sent twice).

Table (``orchestration/raw/schema.py`` OPS_TABLES): touch_id PK, guarantor_id, episode_start,
step, channel, as_of_date, status, status_reason, planned_at, sent_at, provider_message_id,
updated_at. Timestamps are naive UTC.

Statuses written here
---------------------
``planned``   reserved by this run, not handed off yet.
``sending``   (e-mail live mode) the HTTP request carrying it is about to be / being made.
``sent``      handed off: an outbox file names it (sms/calls/statements/e-mail outbox) or
              SendGrid answered 2xx (``provider_message_id`` = X-Message-Id or ``outbox:<file>``).
``failed``    final: rejected (4xx), or *unknown delivery state* (never resent automatically).
``deferred``  provably not handed off (429/5xx/refused after the retry budget, auth failure,
              crash before hand-off): the next ``plan`` of the same touch re-plans it.
``skipped``   channel blocked at send time (bad number, no/invalid address) with its reason.
The dbt models treat ``sent/delivered/failed/skipped`` as done (the cadence moves on) and
ignore ``planned/sending/deferred`` rows (not a touch; the step is due again next run).

Protocol for one channel in one run
-----------------------------------
1. ``recover(con, outbox_dir)`` — resolve rows a crashed run left ``planned``/``sending``
   (see below). Always first.
2. ``ready = plan(con, due_touches)`` — inserts ``planned`` rows for touches not yet in the
   ledger and re-plans ``deferred`` ones; returns *only* those touch ids (input order). A touch
   already ``sent``/``failed``/``skipped``, or still ``planned``/``sending`` from a crash, is not
   returned, so it cannot be sent twice.
3. hand off ``ready`` (write the batch file / send), e-mail live mode with
   ``before_send=lambda ids: mark_sending(path, ids)``.
4. ``mark(con, results)`` — planned/sending -> sent | failed | deferred | skipped.

Crash semantics (``resolve_interrupted`` / ``recover``)
--------------------------------------------------------
A row found ``planned``/``sending`` at the start of a run was reserved by a run that died
before ``mark``:

* found in an outbox file of its as-of date (sms/calls CSV, ``statements/manifest*.csv``,
  ``email/request_*.json`` custom_args, ``email/send_log*.csv`` sent rows) -> ``sent``
  (``recovered: <file>``). Batch files are written atomically *before* ``mark``, so a file that
  names the touch proves the hand-off, and no file proves the opposite;
* proven accepted by SendGrid events (``raw.sendgrid_events`` with its touch_id custom arg,
  see ``accepted_from_events``) -> ``sent`` (``recovered: provider event``);
* channel sms/mail/phone, or e-mail still ``planned`` (the sender marks ``sending`` before the
  first HTTP attempt, so ``planned`` e-mail never reached SendGrid) -> ``deferred``
  (``interrupted before hand-off``), sent by a later run;
* e-mail ``sending`` with no proof -> ``failed`` with ``interrupted: delivery unknown``. SendGrid
  may have accepted it; we cannot ask offline, so we never resend blindly. It shows in
  ``fct_touches`` as failed with that reason for staff to check.

Connections: every function takes an open DuckDB connection *or* a database path; with a path
it connects, runs one short transaction and closes, so the writer holds the file only for
milliseconds (other pipeline writers can interleave). Bulk rows go through a registered Arrow
table (no row-by-row inserts).
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from orchestration.landing.contract import SENDGRID_EVENTS

from .model import SendResult

log = logging.getLogger(__name__)

TABLE = "ops.send_ledger"
DONE = ("sent", "delivered", "failed", "skipped")
PENDING = ("planned", "sending")
FILE_CHANNELS = ("sms", "mail", "phone", "card")

_DDL = """
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.send_ledger (
    touch_id VARCHAR PRIMARY KEY, guarantor_id VARCHAR, episode_start DATE, step VARCHAR,
    channel VARCHAR, as_of_date DATE, status VARCHAR, status_reason VARCHAR,
    planned_at TIMESTAMP, sent_at TIMESTAMP, provider_message_id VARCHAR, updated_at TIMESTAMP)
"""


def _now(now: datetime | None) -> datetime:
    n = now or datetime.now(UTC)
    return n.astimezone(UTC).replace(tzinfo=None) if n.tzinfo else n


@contextlib.contextmanager
def _conn(target: duckdb.DuckDBPyConnection | str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    if isinstance(target, duckdb.DuckDBPyConnection):
        yield target
        return
    con = duckdb.connect(str(target))
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def _tx(target) -> Iterator[duckdb.DuckDBPyConnection]:
    with _conn(target) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")


def ensure_table(target) -> None:
    """Create ops.send_ledger when missing (the pipeline's ``ensure_schema`` normally does)."""
    with _conn(target) as con:
        con.execute(_DDL)


def _get(t: Any, k: str) -> Any:
    return t[k] if isinstance(t, Mapping) else getattr(t, k)


def _d(v: Any) -> date | None:
    if v is None or isinstance(v, date) and not isinstance(v, datetime):
        return v
    if isinstance(v, datetime):
        return v.date()
    return date.fromisoformat(str(v)[:10])


def plan(target, touches: Iterable[Any], *, now: datetime | None = None) -> list[str]:
    """Reserve touches; returns the touch ids (input order) that this run may hand off now."""
    ts = _now(now)
    rows: dict[str, dict] = {}
    for t in touches:
        tid = str(_get(t, "touch_id"))
        if tid not in rows:
            rows[tid] = {
                "touch_id": tid,
                "guarantor_id": str(_get(t, "guarantor_id")),
                "episode_start": _d(_get(t, "episode_start")),
                "step": str(_get(t, "step")),
                "channel": str(_get(t, "channel")),
                "as_of_date": _d(_get(t, "as_of_date")),
            }
    if not rows:
        return []
    import pyarrow as pa  # here, not at module level: the code location loads without pyarrow

    order = list(rows)
    tbl = pa.Table.from_pylist(
        list(rows.values()),
        schema=pa.schema(
            [
                ("touch_id", pa.string()),
                ("guarantor_id", pa.string()),
                ("episode_start", pa.date32()),
                ("step", pa.string()),
                ("channel", pa.string()),
                ("as_of_date", pa.date32()),
            ]
        ),
    )
    with _tx(target) as con:
        con.register("_ledger_in", tbl)
        try:
            before = dict(
                con.execute(
                    f"SELECT i.touch_id, l.status FROM _ledger_in i LEFT JOIN {TABLE} l USING (touch_id)"
                ).fetchall()
            )
            con.execute(
                f"""INSERT INTO {TABLE} (touch_id, guarantor_id, episode_start, step, channel,
                        as_of_date, status, status_reason, planned_at, sent_at,
                        provider_message_id, updated_at)
                    SELECT i.touch_id, i.guarantor_id, i.episode_start, i.step, i.channel,
                           i.as_of_date, 'planned', NULL, ?, NULL, NULL, ?
                    FROM _ledger_in i
                    WHERE NOT EXISTS (SELECT 1 FROM {TABLE} l WHERE l.touch_id = i.touch_id)""",
                [ts, ts],
            )
            con.execute(
                f"""UPDATE {TABLE} AS l SET status = 'planned', status_reason = NULL,
                        as_of_date = i.as_of_date, planned_at = ?, updated_at = ?
                    FROM _ledger_in i WHERE l.touch_id = i.touch_id AND l.status = 'deferred'""",
                [ts, ts],
            )
        finally:
            con.unregister("_ledger_in")
    ready = [t for t in order if before.get(t) in (None, "deferred")]
    stuck = sum(1 for t in order if before.get(t) in PENDING)
    if stuck:
        log.warning(
            "send ledger: %d touch(es) still planned/sending from an interrupted run were "
            "not re-planned; run recover() first",
            stuck,
        )
    return ready


def mark_sending(target, touch_ids: Iterable[str], *, now: datetime | None = None) -> None:
    """planned -> sending, right before the provider call that carries these touches."""
    ids = [str(t) for t in touch_ids]
    if not ids:
        return
    import pyarrow as pa  # here, not at module level: the code location loads without pyarrow

    ts = _now(now)
    with _tx(target) as con:
        con.register("_ids", pa.table({"touch_id": pa.array(ids, pa.string())}))
        try:
            con.execute(
                f"""UPDATE {TABLE} AS l SET status = 'sending', updated_at = ?
                            FROM _ids i WHERE l.touch_id = i.touch_id AND l.status = 'planned'""",
                [ts],
            )
        finally:
            con.unregister("_ids")


def _ledger_status(r: SendResult) -> str:
    if r.status == "sent":
        return "sent"
    if r.status == "skipped":
        return "skipped"
    if r.status == "failed":
        return "deferred" if r.retryable else "failed"
    raise ValueError(f"touch {r.touch_id}: unknown result status {r.status!r}")


def mark(target, results: Iterable[SendResult], *, now: datetime | None = None) -> list[str]:
    """Record outcomes (planned/sending -> sent | failed | deferred | skipped).

    Returns the touch ids that were *not* updated because their row was not planned/sending
    (already final, or never planned): these are logged, never overwritten."""
    ts = _now(now)
    recs = []
    for r in results:
        sent_at = None
        if r.status == "sent":
            sent_at = _now(r.sent_at) if r.sent_at else ts
        recs.append(
            {
                "touch_id": str(r.touch_id),
                "status": _ledger_status(r),
                "status_reason": r.reason,
                "sent_at": sent_at,
                "provider_message_id": r.message_id,
            }
        )
    if not recs:
        return []
    import pyarrow as pa  # here, not at module level: the code location loads without pyarrow

    tbl = pa.Table.from_pylist(
        recs,
        schema=pa.schema(
            [
                ("touch_id", pa.string()),
                ("status", pa.string()),
                ("status_reason", pa.string()),
                ("sent_at", pa.timestamp("us")),
                ("provider_message_id", pa.string()),
            ]
        ),
    )
    with _tx(target) as con:
        con.register("_mark_in", tbl)
        try:
            not_updated = [
                r[0]
                for r in con.execute(
                    f"""SELECT m.touch_id FROM _mark_in m LEFT JOIN {TABLE} l USING (touch_id)
                    WHERE l.status IS NULL OR l.status NOT IN ('planned', 'sending')"""
                ).fetchall()
            ]
            con.execute(
                f"""UPDATE {TABLE} AS l SET status = m.status, status_reason = m.status_reason,
                        sent_at = m.sent_at, provider_message_id = m.provider_message_id,
                        updated_at = ?
                    FROM _mark_in m
                    WHERE l.touch_id = m.touch_id AND l.status IN ('planned', 'sending')""",
                [ts],
            )
        finally:
            con.unregister("_mark_in")
    if not_updated:
        log.warning("send ledger: %d result(s) for touches not planned/sending were ignored", len(not_updated))
    return not_updated


def pending(target, *, as_of_date: date | None = None) -> list[dict]:
    """Rows left ``planned``/``sending`` (a run died between plan and mark)."""
    sql = f"SELECT * FROM {TABLE} WHERE status IN ('planned', 'sending')"
    args: list = []
    if as_of_date is not None:
        sql += " AND as_of_date = ?"
        args.append(as_of_date)
    with _conn(target) as con:
        cur = con.execute(sql + " ORDER BY touch_id", args)
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def statuses(target, touch_ids: Iterable[str] | None = None) -> dict[str, str]:
    with _conn(target) as con:
        rows = con.execute(f"SELECT touch_id, status FROM {TABLE}").fetchall()
    wanted = None if touch_ids is None else set(touch_ids)
    return {t: s for t, s in rows if wanted is None or t in wanted}


def resolve_interrupted(
    target,
    *,
    handed_off: Mapping[str, str] | None = None,
    accepted: Mapping[str, tuple[datetime | None, str | None]] | None = None,
    now: datetime | None = None,
) -> dict[str, list[str]]:
    """Settle every planned/sending row (see module doc). Returns {ledger status: [touch_id]}."""
    handed_off = handed_off or {}
    accepted = accepted or {}
    outcome: dict[str, list[str]] = {"sent": [], "deferred": [], "failed": []}
    results: list[SendResult] = []
    for row in pending(target):
        tid, channel, status = row["touch_id"], row["channel"], row["status"]
        if tid in handed_off:
            src = handed_off[tid]
            results.append(SendResult(tid, "sent", f"recovered: {src}", f"outbox:{src}"))
            outcome["sent"].append(tid)
        elif tid in accepted:
            at, mid = accepted[tid]
            results.append(
                SendResult(
                    tid,
                    "sent",
                    "recovered: provider event",
                    mid,
                    at.replace(tzinfo=UTC) if at and not at.tzinfo else at,
                )
            )
            outcome["sent"].append(tid)
        elif channel in FILE_CHANNELS or status == "planned":
            results.append(SendResult(tid, "failed", "interrupted before hand-off", retryable=True))
            outcome["deferred"].append(tid)
        else:
            results.append(SendResult(tid, "failed", "interrupted: delivery unknown"))
            outcome["failed"].append(tid)
    if results:
        ts = _now(now)
        mark(target, results, now=ts)
        log.warning("send ledger recovery: %s", {k: len(v) for k, v in outcome.items()})
    return outcome


def _csv_touch_ids(path: Path, *, status_col: str | None = None) -> Iterator[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row.get("touch_id") and (status_col is None or row.get(status_col) == "sent"):
                yield row["touch_id"]


def find_handed_off(day_dir: str | Path) -> dict[str, str]:
    """touch_id -> '<date>/<folder>/<file>' for every touch an outbox file of that day names."""
    day_dir = Path(day_dir)
    found: dict[str, str] = {}
    if not day_dir.is_dir():
        return found

    def rel(p: Path) -> str:
        return f"{day_dir.name}/{p.relative_to(day_dir).as_posix()}"

    for sub in ("sms", "calls", "charges"):
        for p in sorted((day_dir / sub).glob("*.csv")):
            for tid in _csv_touch_ids(p):
                found.setdefault(tid, rel(p))
    for p in sorted((day_dir / "statements").glob("**/manifest*.csv")):  # one per batch
        for tid in _csv_touch_ids(p):
            found.setdefault(tid, rel(p))
    for p in sorted((day_dir / "email").glob("request_*.json")):
        body = json.loads(p.read_text(encoding="utf-8"))
        for pers in body.get("personalizations", []):
            tid = (pers.get("custom_args") or {}).get("touch_id")
            if tid:
                found.setdefault(tid, rel(p))
    for p in sorted((day_dir / "email").glob("send_log*.csv")):
        for tid in _csv_touch_ids(p, status_col="status"):
            found.setdefault(tid, rel(p))
    return found


# any event of the landing contract proves SendGrid accepted the message (docs/landing.md)
ACCEPTED_EVENTS = SENDGRID_EVENTS


def accepted_from_events(target, touch_ids: Iterable[str]) -> dict[str, tuple[datetime | None, str | None]]:
    """Touches SendGrid provably accepted (any event carrying their touch_id custom arg)."""
    ids = list(touch_ids)
    if not ids:
        return {}
    import pyarrow as pa  # here, not at module level: the code location loads without pyarrow

    with _conn(target) as con:
        con.register("_ids", pa.table({"touch_id": pa.array(ids, pa.string())}))
        try:
            rows = con.execute(
                f"""SELECT e.touch_id, min(e.event_at), min(split_part(e.sg_message_id, '.', 1))
                    FROM raw.sendgrid_events e JOIN _ids i USING (touch_id)
                    WHERE e.event IN ({", ".join("?" * len(ACCEPTED_EVENTS))})
                    GROUP BY e.touch_id""",
                list(ACCEPTED_EVENTS),
            ).fetchall()
        except duckdb.CatalogException:
            return {}
        finally:
            con.unregister("_ids")
    return {t: (at, mid) for t, at, mid in rows}


def recover(
    target, outbox_dir: str | Path, *, use_events: bool = True, now: datetime | None = None
) -> dict[str, list[str]]:
    """``resolve_interrupted`` with proof gathered from the outbox (and SendGrid events)."""
    rows = pending(target)
    if not rows:
        return {"sent": [], "deferred": [], "failed": []}
    handed: dict[str, str] = {}
    for day in sorted({r["as_of_date"] for r in rows if r["as_of_date"] is not None}):
        handed.update(find_handed_off(Path(outbox_dir) / day.isoformat()))
    accepted = {}
    if use_events:
        accepted = accepted_from_events(
            target, [r["touch_id"] for r in rows if r["channel"] == "email" and r["touch_id"] not in handed]
        )
    return resolve_interrupted(target, handed_off=handed, accepted=accepted, now=now)
