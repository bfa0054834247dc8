"""Wording of the segment moves and servicing touches (issue 9): plan offers, plan reminders,
dispute review, hardship letters and refund confirmations.

Who gets what, when and on which channel is decided in dbt (``int_move_candidates`` through
the cadence's holds into ``marts.fct_touch_audience``); this module only turns one due touch
into words. The templates are files in ``templates/`` registered in ``approvals.yaml``
(:data:`SCRIPTS`); a value a template needs that the touch lacks is a ``ValueError`` naming
the touch id only, which the senders record as ``skipped`` (``cannot compose: ...``).

Message content only: amounts, dates, the clinic's name, help line and pay link; never a
name in an e-mail or text, never clinical detail. The move's data arrives in ``Touch.extra``
(columns of the audience beyond the cadence's): ``move_amount``, ``move_date``,
``plan_offer_*``, ``plan_*``, ``eob_*``, ``hardship_*``.

Dates are spelled out ("We will schedule payments on the 15th: 6 payments of $89.16 from
Dec 15, 2026 to May 15, 2027 (the last one $89.20)."), as the playbook's plan close does.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from .model import MOVE_STEPS, Touch, long_date, money
from .sms import MAX_SEGMENTS, is_gsm7, segments, to_gsm7

TEMPLATES = Path(__file__).with_name("templates")

EMAIL_STEPS = ("plan_offer", "plan_reminder", "dispute_review", "refund_confirmation")
SMS_STEPS = ("plan_reminder",)
LETTER_STEPS = ("plan_offer", "hardship_application", "hardship_decision", "hardship_review", "refund_confirmation")
# approvals.yaml entries of the scripts this module and letters.py use
SCRIPTS = (
    "plan_offer",
    "plan_reminder",
    "dispute_review",
    "hardship_application",
    "hardship_decision",
    "hardship_review",
    "refund_confirmation",
    "call_opener_plan",
)

RELIEF_TEXT = {
    "reduction": "a reduction of your balance",
    "extended_timeline": "more time to pay your balance",
    "adjusted_minimum": "smaller monthly payments",
}


def is_move(step: str | None) -> bool:
    return step in MOVE_STEPS


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 22 -> '22nd'."""
    n = int(n)
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@cache
def template(name: str) -> string.Template:
    return string.Template((TEMPLATES / name).read_text(encoding="utf-8"))


def _x(t: Touch, key: str, *, required: bool = True) -> Any:
    v = t.extra.get(key)
    missing = v is None or (isinstance(v, float) and v != v)
    if missing and required:
        raise ValueError(f"touch {t.touch_id}: {key} is required for {t.step}")
    return None if missing else v


def _d(v: Any) -> date:
    if hasattr(v, "date") and callable(v.date):
        return v.date()
    return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])


def _money(v: Any) -> str:
    return money(Decimal(str(v)))


# --- plan offer ------------------------------------------------------------------------------
def plan_sentence(touch: Touch | Mapping) -> str:
    """The offer with its dates spelled out (int_plan_offers through the audience)."""
    t = Touch.coerce(touch)
    n = int(_x(t, "plan_offer_payments"))
    amount = _money(_x(t, "plan_offer_amount"))
    last = _money(_x(t, "plan_offer_last_amount"))
    first = long_date(_d(_x(t, "plan_offer_first_due")))
    day = ordinal(int(_x(t, "plan_offer_day")))
    if n == 1:
        return f"We will schedule one payment of {last} on {first}."
    end = long_date(_d(_x(t, "plan_offer_last_due")))
    s = f"We will schedule payments on the {day}: {n} payments of {amount} from {first} to {end}"
    return s + (f" (the last one {last})." if last != amount else ".")


def approval_line(touch: Touch | Mapping) -> str:
    t = Touch.coerce(touch)
    if not _x(t, "plan_offer_needs_approval", required=False):
        return ""
    most = int(_x(t, "plan_offer_max_payments"))
    n = int(_x(t, "plan_offer_payments"))
    return (
        f"Need more time? We can discuss a plan of up to {most} payments with you "
        f"(a manager approves plans of more than {n} payments)."
    )


def has_plan_offer(touch: Touch | Mapping) -> bool:
    t = Touch.coerce(touch)
    return _x(t, "plan_offer_payments", required=False) is not None


def plan_call_opener(touch: Touch | Mapping, base_opener: str) -> str:
    """The day-25 call opener of a high_value_engaged guarantor: the playbook opener, then the
    plan to offer and the plan close with its date."""
    t = Touch.coerce(touch)
    day = ordinal(int(_x(t, "plan_offer_day")))
    offer = plan_sentence(t)
    extra = approval_line(t)
    return (
        f"{base_opener} Plan to offer: {offer}{' ' + extra if extra else ''} Plan close: "
        f"Great, we will schedule payments on the {day}. We will send reminders two days "
        f"before each."
    )


# --- values per move -------------------------------------------------------------------------
def _eob_block(t: Touch) -> str:
    if _x(t, "eob_charge", required=False) is None:
        return "We are gathering what your insurance reported for your visit, and we will go through it with you."
    visit = _x(t, "eob_visit_date", required=False)
    head = (
        f"Here is what your insurance reported for your visit on {long_date(_d(visit))}:"
        if visit is not None
        else "Here is what your insurance reported:"
    )
    rows = (
        ("Charge for the visit:", "eob_charge"),
        ("Insurance paid:", "eob_insurance_paid"),
        ("Applied to your deductible:", "eob_deductible"),
        ("Your coinsurance:", "eob_coinsurance"),
        ("Your copay:", "eob_copay"),
        ("Other amounts left to you:", "eob_other"),
        ("What remains for you to pay:", "eob_remains"),
    )
    lines = [head] + [f"  {label:<30} {_money(_x(t, key, required=False) or 0)}" for label, key in rows]
    return "\n".join(lines)


def _relief_text(t: Touch) -> str:
    relief = _x(t, "hardship_relief", required=False)
    text = RELIEF_TEXT.get(str(relief), "the support we agreed")
    pct = _x(t, "hardship_discount_pct", required=False)
    if relief == "reduction" and pct is not None:
        text = f"a reduction of {Decimal(str(pct)).normalize():f}% of your balance"
    return text


def values(
    touch: Touch | Mapping, clinic: Mapping, url: str | None = None, *, review_notice_days: int | None = None
) -> dict[str, str]:
    """Every template value of the touch's move (what the recipient reads)."""
    t = Touch.coerce(touch)
    v = {
        "clinic_name": str(clinic["name"]).strip(),
        "help_line": str(clinic.get("help_line") or "").strip(),
        "help_hours": str(clinic.get("help_hours") or "").strip(),
        "mail_address": str(clinic.get("mail_address") or "").strip(),
    }
    if url:
        from .tokens import short_url

        v["pay_url"] = url
        v["short_pay_url"] = short_url(url)
    if t.step == "plan_offer":
        if t.balance is None or t.balance <= 0:
            raise ValueError(f"touch {t.touch_id}: no positive balance to offer a plan for")
        v |= {"amount_due": money(t.balance), "plan_sentence": plan_sentence(t), "approval_line": approval_line(t)}
    elif t.step == "plan_reminder":
        v |= {"amount": _money(_x(t, "move_amount")), "due_date": long_date(_d(_x(t, "move_date")))}
        if _x(t, "plan_card_on_file", required=False):
            v["how_to_pay"] = (
                "We will charge the card you keep on file with us on that day; you do not need to do anything."
            )
        else:
            v["how_to_pay"] = f"You can pay online: {url}" if url else "You can pay online or by phone."
    elif t.step == "dispute_review":
        v["eob_block"] = _eob_block(t)
    elif t.step == "refund_confirmation":
        v |= {"amount": _money(_x(t, "move_amount")), "refund_date": long_date(_d(_x(t, "move_date")))}
    elif t.step == "hardship_decision":
        outcome = _x(t, "hardship_outcome")
        if outcome not in ("approved", "denied"):
            raise ValueError(f"touch {t.touch_id}: hardship outcome is not a decision")
        if outcome == "approved":
            start, end = _x(t, "hardship_support_start", required=False), _x(t, "hardship_support_end", required=False)
            v |= {
                "relief_text": _relief_text(t),
                "support_start": long_date(_d(start)) if start is not None else "today",
                "support_end": long_date(_d(end)) if end is not None else "until we review it together",
                "review_notice_days": str(review_notice_days if review_notice_days is not None else 30),
            }
    elif t.step == "hardship_review":
        v |= {"relief_text": _relief_text(t), "support_end": long_date(_d(_x(t, "hardship_support_end")))}
    elif t.step == "hardship_application":
        pass
    else:
        raise ValueError(f"touch {t.touch_id}: {t.step!r} is not a segment move")
    return v


# --- e-mail ----------------------------------------------------------------------------------
def email_text(touch: Touch | Mapping, clinic: Mapping, url: str | None, unsubscribe_text: str) -> tuple[str, str]:
    """(subject, plain text) of a move e-mail. The subject names the clinic only."""
    t = Touch.coerce(touch)
    if t.step not in EMAIL_STEPS:
        raise ValueError(f"touch {t.touch_id}: {t.step} has no e-mail")
    v = values(t, clinic, url) | {"unsubscribe_text": unsubscribe_text}
    subject = template(f"{t.step}.subject.txt").substitute(v).strip()
    text = template(f"{t.step}.txt").substitute(v)
    while "\n\n\n" in text:  # an empty optional line (approval_line, how_to_pay)
        text = text.replace("\n\n\n", "\n\n")
    return subject, text


# --- sms -------------------------------------------------------------------------------------
def sms_body(
    touch: Touch | Mapping, clinic: Mapping, url: str | None = None, *, max_segments: int = MAX_SEGMENTS
) -> str:
    """Plan reminder text (GSM-7, at most two segments, with the STOP line)."""
    t = Touch.coerce(touch)
    if t.step not in SMS_STEPS:
        raise ValueError(f"touch {t.touch_id}: {t.step} has no text message")
    v = values(t, clinic, url)
    name = to_gsm7(v["clinic_name"])
    if _x(t, "plan_card_on_file", required=False):
        how = "We will charge your card on file that day."
    else:
        how = f"Pay: {to_gsm7(url)}" if url else "Pay online or call us."
    core = f"Reminder: your plan payment of {v['amount']} is due {v['due_date']}. {how}"
    stop = "Reply STOP to stop texts."
    help_line = to_gsm7(v["help_line"])
    for with_help in (True, False):
        parts = [f"{name}: {core}"] + ([f"Questions? {help_line}."] if with_help and help_line else []) + [stop]
        body = " ".join(parts)
        if segments(body) <= max_segments:
            assert is_gsm7(body)
            return body
    raise ValueError(f"touch {t.touch_id}: SMS cannot fit in {max_segments} segments")


# --- letters ---------------------------------------------------------------------------------
def letter_template_name(touch: Touch) -> str:
    if touch.step == "hardship_decision":
        outcome = touch.extra.get("hardship_outcome")
        return f"letter_hardship_decision_{'approved' if outcome == 'approved' else 'denied'}.txt"
    return f"letter_{touch.step}.txt"


def letter_text(
    touch: Touch | Mapping, clinic: Mapping, url: str | None = None, *, review_notice_days: int | None = None
) -> tuple[str, list[str]]:
    """(title, paragraphs) of a move letter; the template's first line is '# <title>'."""
    t = Touch.coerce(touch)
    if t.step not in LETTER_STEPS:
        raise ValueError(f"touch {t.touch_id}: {t.step} has no letter")
    v = values(t, clinic, url, review_notice_days=review_notice_days)
    raw = template(letter_template_name(t)).substitute(v)
    lines = raw.strip().split("\n")
    if not lines[0].startswith("# "):
        raise ValueError(f"{letter_template_name(t)}: the first line must be '# <title>'")
    title = lines[0][2:].strip()
    paragraphs = [p.strip() for p in "\n".join(lines[1:]).split("\n\n") if p.strip()]
    return title, paragraphs
