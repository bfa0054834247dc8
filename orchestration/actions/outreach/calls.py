"""Day-25 live call: the call list CSV for staff.

Columns (docs/outputs.md): ``touch_id, guarantor_id, phone, call_after, call_before, timezone,
priority, opener, why_you_owe``; ``why_you_owe`` is the 835's split of the patient's portion
(CAS group PR: deductible, coinsurance, copay, other) in plain words, so staff can say it.
``call_after``/``call_before`` are the guarantor's local 08:00-21:00 on the
as-of date in UTC (``...Z``; the same DST-correct window as SMS, policy
``guardrails.contact_window_start/end``). ``opener`` is the playbook's call opener with the visit
date and the amount after insurance (the amount due on the as-of date)::

    Let's look at this together. Your visit on Mar 3, 2026 shows an amount after insurance of
    $X. Would you prefer to take care of it now or set a few smaller dates?

This file is a staff work list (it carries the phone and the amount because the call needs
them; no name, no clinical detail). ``priority``: 1 = call first, by balance tier from the
policy (``tiers.small_below`` / ``medium_below``): high -> 1, medium -> 2, small -> 3; rows are
ordered by priority, then call_after, then touch_id. A touch whose phone does not normalise
is returned as skipped (``bad number``) and not written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

from ..files import csv_bytes, write_to
from .model import SendResult, Touch, long_date, money, utc_z
from .sms import normalize_phone, send_window
from .visits import why_you_owe_text

CALL_COLUMNS = (
    "touch_id",
    "guarantor_id",
    "phone",
    "call_after",
    "call_before",
    "timezone",
    "priority",
    "opener",
    "why_you_owe",
)


def call_opener(touch: Touch | Mapping) -> str:
    t = Touch.coerce(touch)
    if t.visit_date is None:
        raise ValueError(f"touch {t.touch_id}: visit_date is required")
    return (
        f"Let's look at this together. Your visit on {long_date(t.visit_date)} shows an amount "
        f"after insurance of {money(t.balance)}. Would you prefer to take care of it now or "
        f"set a few smaller dates?"
    )


def call_priority(balance: Decimal, tiers: Mapping | None = None) -> int:
    tiers = tiers or {"small_below": 200, "medium_below": 1000}
    if balance >= Decimal(str(tiers["medium_below"])):
        return 1
    if balance >= Decimal(str(tiers["small_below"])):
        return 2
    return 3


def build_call_rows(
    touches: Iterable[Touch | Mapping],
    clinic: Mapping,
    *,
    start: str = "08:00",
    end: str = "21:00",
    tiers: Mapping | None = None,
    window_day: Callable[[Touch, str], date] | None = None,
) -> tuple[list[dict], list[SendResult]]:
    rows: list[dict] = []
    skipped: list[SendResult] = []
    fallback_tz = clinic.get("timezone") or "UTC"
    for raw in touches:
        t = Touch.coerce(raw)
        phone = normalize_phone(t.phone)
        if phone is None:
            skipped.append(SendResult(t.touch_id, "skipped", "bad number"))
            continue
        try:
            opener = call_opener(t)
        except ValueError as exc:
            skipped.append(SendResult(t.touch_id, "skipped", f"cannot compose: {exc}"))
            continue
        tz = t.timezone or fallback_tz
        after, before = send_window(window_day(t, tz) if window_day else t.as_of_date, tz, start, end)
        rows.append(
            {
                "touch_id": t.touch_id,
                "guarantor_id": t.guarantor_id,
                "phone": phone,
                "call_after": after,
                "call_before": before,
                "timezone": tz,
                "priority": call_priority(t.balance, tiers),
                "opener": opener,
                "why_you_owe": why_you_owe_text(t, separator="; "),
            }
        )
    rows.sort(key=lambda r: (r["priority"], r["call_after"], r["touch_id"]))
    return rows, skipped


def write_call_list(rows: Iterable[Mapping], path: str | Path, *, overwrite: bool = False) -> Path:
    """Atomic, 0600; ``path`` may be a folder (next free ``calls_<nnnn>.csv``)."""
    out = []
    for r in rows:
        out.append({**r, "call_after": utc_z(r["call_after"]), "call_before": utc_z(r["call_before"])})
    return write_to(path, csv_bytes(CALL_COLUMNS, out), prefix="calls_", suffix=".csv", overwrite=overwrite)
