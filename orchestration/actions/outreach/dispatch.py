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
hand-off (``now``, the run's clock: orchestration/core/clock.py) are recorded `deferred` with that
reason: not handed off, not sent, not an attempt, planned again by the next run. SMS rows and
call-list rows carry today's window in UTC for the gateway and the staff; e-mail that is not
open yet is scheduled with SendGrid's `send_at` for the window's opening.

The hand-off itself is the channel's (``channels/<name>.py``, found through
``channels.REGISTRY``, one interface: ``channels/base.py``). Segment moves (issue 9;
``moves.py``) ride the same channels: plan reminders in the SMS batch, move e-mails through the
same ``EmailSender``, move letters as PDFs under ``statements/letters/``, the plan opener on
the day-25 call. Channel ``card`` hands the card-on-file charges of ``marts.fct_plan_charges``
to the payment processor as a CSV through the same ledger protocol.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from orchestration.actions.outreach import approvals, ledger, sms, tokens
from orchestration.actions.outreach.channels import REGISTRY
from orchestration.actions.outreach.channels.base import HandOff, final  # noqa: F401 (final: the protocol's rule)
from orchestration.actions.outreach.model import SendResult, Touch
from orchestration.faults import crash_point

log = logging.getLogger(__name__)

CHANNELS = tuple(REGISTRY)
FOLDER = {name: m.FOLDER for name, m in REGISTRY.items()}
WINDOW_CHANNELS = tuple(name for name, m in REGISTRY.items() if m.CONTACT_WINDOW)  # reach a person at a time
WINDOW_CLOSED = "contact_window_closed"  # the hold rule and the ledger reason


@dataclass
class ChannelReport:
    channel: str
    mode: str  # send | record
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
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


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
        skipped = _rows(
            con,
            "SELECT touch_id, guarantor_id, episode_start, step, channel, as_of_date, "
            "hold_reason FROM marts.fct_touches WHERE is_planned_today AND status = 'skipped' "
            "ORDER BY touch_id",
            [],
        )
        deferred = _rows(
            con,
            "SELECT touch_id, guarantor_id, episode_start, step, channel, as_of_date "
            "FROM marts.fct_touches WHERE is_planned_today AND status = 'held' "
            "AND hold_reason = ? AND channel = ? ORDER BY touch_id",
            [WINDOW_CLOSED, channel],
        )
    finally:
        con.close()
    return due, skipped, deferred


def window_day(as_of: date, now: datetime) -> Callable[[Touch, str], date]:
    """The local day a touch is handed off: the as-of date, or the guarantor's today if later."""

    def day(t: Touch, tz: str) -> date:
        return max(as_of, now.astimezone(ZoneInfo(tz)).date())

    return day


def split_by_window(
    touches: list[Touch], *, now: datetime, day_of, start: str, end: str, fallback_tz: str
) -> tuple[list[Touch], list[SendResult]]:
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


def _touch(row: dict) -> Touch:
    return Touch.coerce({**row, "due_date": row.get("payment_due_date")})


def dispatch(
    channel: str,
    *,
    warehouse: Path,
    outbox: Path,
    policy: Any,
    as_of: date,
    send: bool = True,
    now: datetime | None = None,
    environ: dict | None = None,
) -> ChannelReport:
    """Run the ledger protocol for one channel; returns counts (no personal data)."""
    if channel not in REGISTRY:
        raise ValueError(f"unknown channel {channel!r}")
    module = REGISTRY[channel]
    report = ChannelReport(channel, "send" if send else "record")
    report.stale_scripts = approvals.stale_scripts((now or datetime.now(UTC)).date())
    if report.stale_scripts:
        log.warning(
            "scripts past their 90-day approval: %s (templates/approvals.yaml)", ", ".join(report.stale_scripts)
        )
    clinic = dict(policy["clinic"])
    clinic["final_notice_days"] = policy["placement"]["nonprofit_final_notice_days"]  # final_notice.py
    g = policy["guardrails"]

    rec = ledger.recover(warehouse, outbox)
    report.recovered = {k: len(v) for k, v in rec.items() if v}
    due, skipped_plan, deferred_plan = read_channel(warehouse, channel)
    report.due = len(due)

    # today's plan skips: recorded so the cadence moves on
    if skipped_plan:
        ready = set(ledger.plan(warehouse, skipped_plan, now=now))
        ledger.mark(
            warehouse,
            [
                SendResult(r["touch_id"], "skipped", r["hold_reason"] or "skipped")
                for r in skipped_plan
                if r["touch_id"] in ready
            ],
            now=now,
        )
    # today's plan deferrals (the run started after the window closed): recorded as deferred
    if deferred_plan and send:
        ready = set(ledger.plan(warehouse, deferred_plan, now=now))
        deferred_results = [
            SendResult(r["touch_id"], "failed", WINDOW_CLOSED, retryable=True)
            for r in deferred_plan
            if r["touch_id"] in ready
        ]
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

    moment = (now or datetime.now(UTC)).astimezone(UTC)
    day_of = window_day(as_of, moment)
    (outbox / as_of.isoformat() / module.FOLDER).mkdir(parents=True, exist_ok=True)
    url_for = tokens.url_maker(
        clinic["pay_site"], tokens.load_secret(tokens.default_secret_path(warehouse), environ=environ)
    )
    results: list[SendResult] = []
    if module.CONTACT_WINDOW:  # checked again at hand-off, on the run's clock
        touches, closed = split_by_window(
            touches,
            now=moment,
            day_of=day_of,
            start=g["contact_window_start"],
            end=g["contact_window_end"],
            fallback_tz=clinic["timezone"],
        )
        results += closed
    ctx = HandOff(
        due=due,
        clinic=clinic,
        policy=policy,
        url_for=url_for,
        warehouse=warehouse,
        outbox=outbox,
        as_of=as_of,
        now=moment,
        day_of=day_of,
        environ=environ,
        report=report,
        folder=module.FOLDER,
    )
    results += module.hand_off(touches, ctx)
    crash_point(f"mid_send.{channel}")  # fault injection (orchestration/faults.py): handed off, not marked
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
