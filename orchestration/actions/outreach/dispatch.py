"""One outreach channel for one as-of date: read today's due touches from the warehouse,
reserve them in the send ledger, hand them off (file or SendGrid), record the outcome.

The rules (who is due, who is held and why) are in dbt (`marts.fct_touches`,
`marts.fct_touch_audience`); this module only moves touches through the ledger protocol of
`ledger.py`, so a crash at any point followed by a re-run never sends a touch twice and never
loses one:

    recover (resolve what a crashed run left) → plan (reserve) → hand off → mark

Steps that the plan skipped today (superseded, or the channel is blocked) are written to the
ledger as `skipped` with their reason, so the cadence carries on. In record mode (backfills:
rebuilding history the way the daily runs would have), due touches are recorded as
`skipped` with reason `backfill: recorded, not sent` and nothing leaves.

Every block is known to the day's plan (dbt: consent, opt-out, the phone as E.164, wrong
number, address, holds, caps — docs/rules.md §4), so nothing is skipped here. A touch whose
message cannot be composed or whose number does not normalise anyway (a bug or a gap the
plan missed) is recorded `failed` with the reason: final, and it keeps the guarantor's slot of
the day, so a re-run of the date never hands off another touch in its place.

Contact window (08:00–21:00 in the guarantor's time zone, docs/rules.md §4 "Contact window"):
a text, e-mail or call leaves inside today's window — the as-of date's, or the guarantor's
today when the run is later. A touch the plan already held as `contact_window_closed` (the
run started after the window closed) and a touch whose window has closed by the time of the
hand-off (``now``, the run's clock: orchestration/clock.py) are recorded `deferred` with that
reason: not handed off, not sent, not an attempt, planned again by the next run. SMS rows and
call-list rows carry today's window in UTC for the gateway and the staff; e-mail that is not
open yet is scheduled with SendGrid's `send_at` for the window's opening.

Segment moves (issue 9; ``moves.py``) ride the same channels: plan reminders in the SMS batch
(``moves.sms_body``); plan offers, reminders, dispute review and refund notes as e-mails
(``move_email``, the same ``EmailSender``); move letters as PDFs under ``statements/letters/``
(``letters.py``); the day-25 call of a guarantor with a plan offer gets the plan opener
(``moves.plan_call_opener``). Channel ``card`` hands the card-on-file charges of
``marts.fct_plan_charges`` to the payment processor as a CSV (``charges.py``, folder
``charges/``) through the same ledger protocol.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from collections.abc import Callable
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo
from pathlib import Path
from typing import Any

import duckdb

from orchestration.actions.outreach import (approvals, calls, charges, email, ledger, letters, move_email,
                                            moves, sms, statements, tokens)
from orchestration.actions.outreach.model import SendResult, Touch
from orchestration.faults import crash_point

log = logging.getLogger(__name__)

CHANNELS = ("sms", "email", "mail", "phone", "card")
FOLDER = {"sms": "sms", "email": "email", "mail": "statements", "phone": "calls", "card": "charges"}
WINDOW_CHANNELS = ("sms", "email", "phone")      # the channels that reach a person at a time
WINDOW_CLOSED = "contact_window_closed"          # the hold rule and the ledger reason


@dataclass
class ChannelReport:
    channel: str
    mode: str                                   # send | record
    due: int = 0
    handed_off: int = 0
    skipped: int = 0
    failed: int = 0
    deferred: int = 0
    already_done: int = 0
    recovered: dict[str, int] = field(default_factory=dict)
    stale_scripts: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def as_metadata(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "files"} | {"files": len(self.files)}


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def read_channel(warehouse: Path, channel: str) -> tuple[list[dict], list[dict], list[dict]]:
    """(due touches of the channel with what their messages need, steps skipped by today's plan
    on any channel, touches of the channel the plan deferred: held first by
    contact_window_closed)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        source = "marts.fct_plan_charges" if channel == "card" else "marts.fct_touch_audience"
        due = _rows(con, f"SELECT * FROM {source} WHERE channel = ? ORDER BY touch_id", [channel])
        # every channel's skips, recorded by whichever channel runs first: a run killed
        # between two channels must not lose the later channels' skip records (the next
        # plan, built on the hand-offs already made, no longer lists them as superseded)
        skipped = _rows(con, "SELECT touch_id, guarantor_id, episode_start, step, channel, as_of_date, "
                             "hold_reason FROM marts.fct_touches WHERE is_planned_today AND status = 'skipped' "
                             "ORDER BY touch_id", [])
        deferred = _rows(con, "SELECT touch_id, guarantor_id, episode_start, step, channel, as_of_date "
                              "FROM marts.fct_touches WHERE is_planned_today AND status = 'held' "
                              "AND hold_reason = ? AND channel = ? ORDER BY touch_id",
                         [WINDOW_CLOSED, channel])
    finally:
        con.close()
    return due, skipped, deferred


def window_day(as_of: date, now: datetime) -> "Callable[[Touch, str], date]":
    """The local day a touch is handed off: the as-of date, or the guarantor's today if later."""
    def day(t: Touch, tz: str) -> date:
        return max(as_of, now.astimezone(ZoneInfo(tz)).date())
    return day


def split_by_window(touches: list[Touch], *, now: datetime, day_of, start: str, end: str,
                    fallback_tz: str) -> tuple[list[Touch], list[SendResult]]:
    """(touches whose contact window of today is still open at `now`, deferred results for the
    others: their window closed, docs/rules.md §4 "Contact window")."""
    open_: list[Touch] = []
    closed: list[SendResult] = []
    for t in touches:
        tz = t.timezone or fallback_tz
        _, before = sms.send_window(day_of(t, tz), tz, start, end)
        if now >= before:
            closed.append(SendResult(t.touch_id, "failed", WINDOW_CLOSED, retryable=True))
        else:
            open_.append(t)
    return open_, closed


def final(results: list[SendResult]) -> list[SendResult]:
    """Hand-off skips (a number that does not normalise, a message that cannot be composed)
    recorded as final failures: the plan chose the touch for the day's slot (module doc)."""
    return [SendResult(r.touch_id, "failed", r.reason) if r.status == "skipped" else r for r in results]


def _touch(row: dict) -> Touch:
    return Touch.coerce({**row, "due_date": row.get("payment_due_date")})


def dispatch(channel: str, *, warehouse: Path, outbox: Path, policy: Any, as_of: date,
             send: bool = True, now: datetime | None = None,
             environ: dict | None = None) -> ChannelReport:
    """Run the ledger protocol for one channel; returns counts (no personal data)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    report = ChannelReport(channel, "send" if send else "record")
    report.stale_scripts = approvals.stale_scripts((now or datetime.now(timezone.utc)).date())
    if report.stale_scripts:
        log.warning("scripts past their 90-day approval: %s (templates/approvals.yaml)",
                    ", ".join(report.stale_scripts))
    clinic = dict(policy["clinic"])
    clinic["final_notice_days"] = policy["placement"]["nonprofit_final_notice_days"]  # final_notice.py
    g = policy["guardrails"]
    day_dir = outbox / as_of.isoformat()
    out_dir = day_dir / FOLDER[channel]

    rec = ledger.recover(warehouse, outbox)
    report.recovered = {k: len(v) for k, v in rec.items() if v}
    due, skipped_plan, deferred_plan = read_channel(warehouse, channel)
    report.due = len(due)

    # today's plan skips: recorded so the cadence moves on
    if skipped_plan:
        ready = set(ledger.plan(warehouse, skipped_plan, now=now))
        ledger.mark(warehouse, [SendResult(r["touch_id"], "skipped", r["hold_reason"] or "skipped")
                                for r in skipped_plan if r["touch_id"] in ready], now=now)
    # today's plan deferrals (the run started after the window closed): recorded as deferred
    if deferred_plan and send:
        ready = set(ledger.plan(warehouse, deferred_plan, now=now))
        deferred_results = [SendResult(r["touch_id"], "failed", WINDOW_CLOSED, retryable=True)
                            for r in deferred_plan if r["touch_id"] in ready]
        ledger.mark(warehouse, deferred_results, now=now)
        report.deferred += len(deferred_results)

    ready_ids = set(ledger.plan(warehouse, due, now=now))
    report.already_done = len(due) - len(ready_ids)
    touches = [_touch(r) for r in due if r["touch_id"] in ready_ids]
    if not touches:
        return report
    if not send:
        results = [SendResult(t.touch_id, "skipped", "backfill: recorded, not sent") for t in touches]
        ledger.mark(warehouse, results, now=now)
        report.skipped = len(results)
        return report

    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    day_of = window_day(as_of, moment)
    out_dir.mkdir(parents=True, exist_ok=True)
    url_for = tokens.url_maker(clinic["pay_site"], tokens.load_secret(tokens.default_secret_path(warehouse),
                                                                       environ=environ))
    start, end = g["contact_window_start"], g["contact_window_end"]
    results: list[SendResult] = []
    if channel in WINDOW_CHANNELS:        # checked again at hand-off, on the run's clock
        touches, closed = split_by_window(touches, now=moment, day_of=day_of, start=start, end=end,
                                          fallback_tz=clinic["timezone"])
        results += closed
    cadence = [t for t in touches if not moves.is_move(t.step)]
    move_touches = [t for t in touches if moves.is_move(t.step)]
    if channel == "card":
        by_id = {r["touch_id"]: r for r in due}
        rows, skipped = charges.build_charge_rows([by_id[t.touch_id] for t in touches])
        if rows:
            path = charges.write_charge_batch(rows, out_dir)
            report.files.append(str(path))
            results += [SendResult(r["touch_id"], "sent", None, f"file:{path.name}") for r in rows]
        results += skipped
    elif channel == "sms":
        rows, skipped = sms.build_sms_rows(cadence, clinic, url_for, start=start, end=end,
                                             window_day=day_of)
        move_rows, move_skipped = _move_sms_rows(move_touches, clinic, url_for, start=start, end=end,
                                                 window_day=day_of)
        rows, skipped = rows + move_rows, skipped + move_skipped
        if rows:
            path = sms.write_sms_batch(rows, out_dir)
            report.files.append(str(path))
            results += [SendResult(r["touch_id"], "sent", None, f"file:{path.name}") for r in rows]
        results += final(skipped)
    elif channel == "phone":
        rows, skipped = calls.build_call_rows(touches, clinic, start=start, end=end, tiers=policy["tiers"],
                                                window_day=day_of)
        with_offer = {t.touch_id: t for t in touches if moves.has_plan_offer(t)}
        for r in rows:          # high_value_engaged: the opener offers the plan with its dates
            if r["touch_id"] in with_offer:
                r["opener"] = moves.plan_call_opener(with_offer[r["touch_id"]], r["opener"])
        if rows:
            path = calls.write_call_list(rows, out_dir)
            report.files.append(str(path))
            results += [SendResult(r["touch_id"], "sent", None, f"file:{path.name}") for r in rows]
        results += final(skipped)
    elif channel == "mail":
        if cadence:
            batch = statements.render_batch(cadence, out_dir, clinic=clinic, url_for=url_for)
            report.files += [str(out_dir / r["file"]) for r in batch["rows"]]
            results += [SendResult(r["touch_id"], "sent", None, f"file:{r['file']}") for r in batch["rows"]]
            results += final(batch["skipped"])
        if move_touches:
            letter_dir = day_dir / letters.FOLDER
            batch = letters.render_batch(move_touches, letter_dir, clinic=clinic, url_for=url_for,
                                         review_notice_days=policy["hardship"]["review_notice_days"])
            report.files += [str(letter_dir / r["file"]) for r in batch["rows"]]
            results += [SendResult(r["touch_id"], "sent", None, f"file:letters/{r['file']}")
                        for r in batch["rows"]]
            results += final(batch["skipped"])
    else:
        results += _send_email(touches, clinic, policy, url_for, warehouse=warehouse, outbox=outbox,
                               as_of=as_of, now=moment, day_of=day_of, environ=environ, report=report)
    crash_point(f"mid_send.{channel}")   # fault injection (orchestration/faults.py): handed off, not marked
    ledger.mark(warehouse, results, now=now)
    for r in results:
        if r.status == "sent":
            report.handed_off += 1
        elif r.status == "skipped":
            report.skipped += 1
        elif r.retryable:
            report.deferred += 1
        else:
            report.failed += 1
    return report


def _send_email(touches: list[Touch], clinic: dict, policy: Any, url_for, *, warehouse: Path,
                outbox: Path, as_of: date, now: datetime, day_of, environ: dict | None,
                report: ChannelReport) -> list[SendResult]:
    g = policy["guardrails"]
    start, end = g["contact_window_start"], g["contact_window_end"]
    results: list[SendResult] = []
    sendable: list[Touch] = []
    send_at: dict[str, int] = {}
    for t in touches:
        tz = t.timezone or clinic["timezone"]
        after, _ = sms.send_window(day_of(t, tz), tz, start, end)   # open today (split_by_window)
        if now < after:                         # not open yet: SendGrid holds it until it opens
            send_at[t.touch_id] = int(after.timestamp())
        sendable.append(t)
    o = policy["outreach"]
    cadence = [t for t in sendable if not moves.is_move(t.step)]
    move_touches = [t for t in sendable if moves.is_move(t.step)]
    requests, skipped = email.build_requests(cadence, clinic, url_for, from_email=o["from_email"],
                                             from_name=o["from_name"],
                                             send_at_for=lambda t: send_at.get(t.touch_id))
    move_requests, move_skipped = move_email.build_requests(
        move_touches, clinic, url_for, from_email=o["from_email"], from_name=o["from_name"],
        reply_to=o["from_email"], send_at_for=lambda t: send_at.get(t.touch_id))
    requests, skipped = requests + move_requests, skipped + move_skipped
    sender = email.EmailSender.from_env(outbox_dir=outbox, as_of=as_of, environ=environ,
                                        before_send=lambda ids: ledger.mark_sending(warehouse, ids))
    report.mode = f"{report.mode}:{sender.mode}"
    sent = sender.send(requests)
    if sender.mode == "live" and sent:
        report.files.append(str(email.write_send_log(sent, outbox / as_of.isoformat() / "email")))
    return results + final(skipped) + sent


def _move_sms_rows(touches: list[Touch], clinic: dict, url_for, *, start: str, end: str,
                   window_day) -> tuple[list[dict], list[SendResult]]:
    """SMS batch rows of the move texts (plan reminders), in the cadence's batch format."""
    rows: list[dict] = []
    skipped: list[SendResult] = []
    for t in touches:
        phone = sms.normalize_phone(t.phone)
        if phone is None:
            skipped.append(SendResult(t.touch_id, "skipped", "bad number"))
            continue
        try:
            body = moves.sms_body(t, clinic, url_for(t))
        except ValueError as exc:
            skipped.append(SendResult(t.touch_id, "skipped", f"cannot compose: {exc}"))
            continue
        tz = t.timezone or clinic.get("timezone") or "UTC"
        after, before = sms.send_window(window_day(t, tz), tz, start, end)
        rows.append({"touch_id": t.touch_id, "phone": phone, "send_after": after,
                     "send_before": before, "body": body})
    return rows, skipped
