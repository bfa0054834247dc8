"""The data the outreach layer works on: a due touch, a send result, and shared formatting.

A :class:`Touch` is one row of ``marts.fct_touches`` (status ``due`` for the as-of date) joined
with the guarantor's contact data and the numbers the message needs. ``Touch.coerce`` accepts
a dict (e.g. a DuckDB/pandas row) and converts strings/floats to ``date``/``Decimal``.

Privacy rule for this package: names, addresses, phones, e-mails and amounts are *message
content* only. They never go into logs, URLs, file names, vendor metadata (``custom_args``,
categories, subjects) or exception messages; identifiers in those places are the opaque
``touch_id`` / ``guarantor_id`` only. ``Touch.__repr__`` therefore shows ids only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

STEPS = ("sms_reminder", "statement_1", "email_context", "live_call", "statement_2")
# segment moves and servicing touches (moves.py; int_move_candidates)
MOVE_STEPS = (
    "plan_offer",
    "plan_reminder",
    "plan_charge",
    "dispute_review",
    "hardship_application",
    "hardship_decision",
    "hardship_review",
    "refund_confirmation",
)
CHANNELS = ("sms", "mail", "email", "phone")
VARIANTS = (None, "plan_confirmation")

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CENT = Decimal("0.01")


def money(value: Decimal | int | float | str) -> str:
    """``Decimal('1234.5')`` -> ``'$1,234.50'`` (half-up to the cent; locale-independent)."""
    d = Decimal(str(value)).quantize(_CENT, rounding=ROUND_HALF_UP)
    sign = "-" if d < 0 else ""
    return f"{sign}${abs(d):,.2f}"


def long_date(d: date) -> str:
    """``date(2026, 3, 3)`` -> ``'Mar 3, 2026'`` (locale-independent, unambiguous)."""
    return f"{_MONTHS[d.month - 1]} {d.day}, {d.year}"


def utc_z(dt: datetime) -> str:
    """An aware datetime as ISO 8601 UTC with a ``Z`` suffix, to the second."""
    if dt.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime")
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(v != v) or v == ""  # NaN / NaT / pandas NA compare unequal to themselves
    except (TypeError, ValueError):
        return False


def _to_date(v: Any) -> date | None:
    if _missing(v):
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if hasattr(v, "date") and callable(v.date):  # pandas Timestamp
        return v.date()
    return date.fromisoformat(str(v)[:10])


def _to_dec(v: Any) -> Decimal | None:
    if _missing(v):
        return None
    if isinstance(v, Decimal):
        return v
    return Decimal(str(v))


def _to_str(v: Any) -> str | None:
    if _missing(v):
        return None
    s = str(v).strip()
    return s or None


to_date, to_decimal = _to_date, _to_dec  # the coercions, for readers of warehouse rows


@dataclass(frozen=True, repr=False)
class Touch:
    touch_id: str
    guarantor_id: str
    episode_start: date | None  # None only for a move outside an open episode
    step: str
    channel: str
    as_of_date: date
    balance: Decimal | None  # amount due on the as-of date (None: moves only)
    visit_date: date | None = None  # service date of the oldest open encounter
    charge: Decimal | None = None
    insurance_paid: Decimal | None = None
    patient_portion: Decimal | None = None
    due_date: date | None = None
    variant: str | None = None  # None or 'plan_confirmation'
    first_name: str | None = None
    last_name: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    phone: str | None = None
    email: str | None = None
    timezone: str | None = None  # IANA; None -> the clinic's
    # plan_confirmation statements only (all optional; "keep it simple")
    plan_payments: int | None = None
    plan_amount: Decimal | None = None
    plan_next_due: date | None = None
    extra: dict = field(default_factory=dict, compare=False)

    def __repr__(self) -> str:  # ids only: a Touch may end up in a log or a traceback
        return (
            f"Touch(touch_id={self.touch_id!r}, guarantor_id={self.guarantor_id!r}, "
            f"step={self.step!r}, channel={self.channel!r})"
        )

    __str__ = __repr__

    @classmethod
    def coerce(cls, row: Touch | Mapping[str, Any]) -> Touch:
        if isinstance(row, Touch):
            return row
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        data = {k: row[k] for k in names if k in row}
        required = ("touch_id", "guarantor_id", "episode_start", "step", "channel", "as_of_date", "balance")
        if data.get("step") in MOVE_STEPS:  # a refund note or hardship letter may have neither
            required = ("touch_id", "guarantor_id", "step", "channel", "as_of_date")
            data.setdefault("episode_start", None)
            data.setdefault("balance", None)
        missing = [k for k in required if data.get(k) is None]
        if missing:
            raise ValueError(f"touch {row.get('touch_id')!r}: missing {', '.join(missing)}")
        for k in ("episode_start", "as_of_date", "visit_date", "due_date", "plan_next_due"):
            if k in data:
                data[k] = _to_date(data[k])
        for k in ("balance", "charge", "insurance_paid", "patient_portion", "plan_amount"):
            if k in data:
                data[k] = _to_dec(data[k])
        for k in (
            "first_name",
            "last_name",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "phone",
            "email",
            "timezone",
            "variant",
        ):
            if k in data:
                data[k] = _to_str(data[k])
        if _missing(data.get("plan_payments")):
            data["plan_payments"] = None
        if data.get("plan_payments") is not None:
            data["plan_payments"] = int(data["plan_payments"])
        data["touch_id"] = str(data["touch_id"])
        data["guarantor_id"] = str(data["guarantor_id"])
        extra = {k: v for k, v in row.items() if k not in names}
        return cls(**data, extra=extra)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass(frozen=True)
class SendResult:
    """What happened to one touch. ``status``: ``sent`` | ``failed`` | ``skipped``.

    ``retryable`` marks a failure where the provider provably did *not* accept the message
    (429/5xx/connection refused after the retry budget, or never attempted): the ledger stores
    it as ``deferred`` so a later run may send it. ``failed`` with ``retryable=False`` is final
    (a 4xx rejection, or an unknown delivery state, which must never be resent blindly).
    ``reason`` never carries PHI (status codes, short provider text with addresses masked).
    """

    touch_id: str
    status: str
    reason: str | None = None
    message_id: str | None = None
    sent_at: datetime | None = None
    retryable: bool = False

    def as_row(self) -> dict[str, Any]:
        return {
            "touch_id": self.touch_id,
            "status": self.status,
            "reason": self.reason or "",
            "message_id": self.message_id or "",
            "sent_at": utc_z(self.sent_at) if self.sent_at else "",
            "retryable": self.retryable,
        }
