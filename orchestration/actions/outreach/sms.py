"""Day-3 text reminder: body, contact window, phone normalisation and the gateway batch CSV.

Body (playbook script + clinic name + help line + opt-out)::

    <clinic>: You have a balance of $X from your visit on Mar 3, 2026. Pay now or set a plan:
    <pay url> Questions? <help line>. Reply STOP to stop texts.

Only amount, visit date, clinic name, pay link and help line; never a name or clinical detail.

GSM-7 and length
----------------
The body is forced into the GSM 03.38 7-bit alphabet (:func:`to_gsm7`: typographic quotes and
dashes to ASCII, accents stripped when the base letter is GSM, anything else ``?``), so the
gateway never falls back to UCS-2 (70 chars/segment). It must fit in at most 2 concatenated
segments (2 x 153 = 306 septets; extension characters such as ``€ [ ] { } ~ ^ | \\`` cost two and
are never split across segments). When it does not fit, the help line is dropped first, then
the clinic name is shortened; amount, date, link and the STOP line are never cut. If it still
does not fit (an absurd pay-site URL) ``sms_body`` raises ``ValueError``.

Contact window
--------------
``send_window(as_of, tz)`` is [08:00, 21:00) *local* on the as-of date in the guarantor's IANA
time zone (``zoneinfo``, so DST days are right: New York is UTC-4 after the March change,
UTC-5 after November's; Phoenix is always UTC-7), returned as aware UTC datetimes. Regulation
F's inconvenient-time presumption (12 CFR 1006.6(b)(1)(i)). The gateway must not send outside
[send_after, send_before); a batch that misses its window simply expires (it is not carried to
the next day by the gateway — the next daily run decides again).

Phones
------
``normalize_phone``: US 10-digit (any punctuation) -> ``+1NXXNXXXXXX``; ``1`` + 10 digits the
same; ``+`` followed by 8-15 digits (E.164) kept; NANP numbers must have area code and exchange
starting 2-9. Anything else -> ``None``: the caller must skip the touch with reason
``bad number`` (``build_sms_rows`` returns those as skipped results, and likewise a touch whose
body cannot be composed, e.g. no visit date: ``cannot compose: ...``). ``write_sms_batch`` refuses
(``ValueError`` naming only the touch_id) a row whose phone does not normalise.

Batch file
----------
CSV ``touch_id, phone, send_after, send_before, body`` (UTC ``...Z``), UTF-8, written atomically
(temp file in the same folder + rename), mode 0600, never overwriting an existing file unless
``overwrite=True``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ..files import csv_bytes, write_to
from .model import SendResult, Touch, long_date, money, utc_z

MAX_SEGMENTS = 2
SINGLE_SEGMENT = 160
MULTI_SEGMENT = 153

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

_REPLACEMENTS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "`": "'",
    "´": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "«": '"',
    "»": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u2022": "*",
    "\u00b7": "*",
    "\t": " ",
    "\u00a0": " ",
    "\u2007": " ",
    "\u2009": " ",
    "\u200a": " ",
    "\u202f": " ",
    "\u200b": "",
    "\ufeff": "",
}


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def to_gsm7(text: str) -> str:
    """Replace every character outside GSM 03.38 (basic + extension) with a GSM equivalent."""
    out = []
    for ch in text:
        if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
            out.append(ch)
            continue
        if ch in _REPLACEMENTS:
            out.append(_REPLACEMENTS[ch])
            continue
        if unicodedata.category(ch).startswith("Z"):
            out.append(" ")
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        if base and all(c in GSM7_BASIC for c in base):
            out.append(base)
        else:
            out.append("?")
    return "".join(out)


def septets(text: str) -> int:
    return sum(2 if c in GSM7_EXTENSION else 1 for c in text)


def segments(text: str) -> int:
    """Number of SMS segments ``text`` needs (GSM-7 when possible, else UCS-2)."""
    if not text:
        return 1
    if is_gsm7(text):
        if septets(text) <= SINGLE_SEGMENT:
            return 1
        count, used = 1, 0
        for c in text:  # an escape pair is never split across two segments
            w = 2 if c in GSM7_EXTENSION else 1
            if used + w > MULTI_SEGMENT:
                count, used = count + 1, 0
            used += w
        return count
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def sms_body(touch: Touch | Mapping, clinic: Mapping, url: str, *, max_segments: int = MAX_SEGMENTS) -> str:
    t = Touch.coerce(touch)
    if t.balance is None or t.balance <= 0:
        raise ValueError(f"touch {t.touch_id}: no positive balance to remind about")
    if t.visit_date is None:
        raise ValueError(f"touch {t.touch_id}: visit_date is required")
    clinic_name = to_gsm7(str(clinic["name"]).strip())
    help_line = to_gsm7(str(clinic.get("help_line") or "").strip())
    url = to_gsm7(url)
    core = (
        f"You have a balance of {money(t.balance)} from your visit on {long_date(t.visit_date)}."
        f" Pay now or set a plan: {url}"
    )
    stop = "Reply STOP to stop texts."

    def compose(name: str, with_help: bool) -> str:
        parts = [f"{name}: {core}" if name else core]
        if with_help and help_line:
            parts.append(f"Questions? {help_line}.")
        parts.append(stop)
        return " ".join(parts)

    body = compose(clinic_name, True)
    if segments(body) <= max_segments:
        return body
    body = compose(clinic_name, False)
    name = clinic_name
    while segments(body) > max_segments and name:
        name = name[:-1].rstrip()
        body = compose(name + "..." if name else "", False)
    if segments(body) > max_segments:
        raise ValueError(f"touch {t.touch_id}: SMS cannot fit in {max_segments} segments")
    assert is_gsm7(body)
    return body


def _parse_hhmm(value: str) -> time:
    h, m = str(value).split(":")
    return time(int(h), int(m))


def send_window(as_of: date, tz: str, start: str = "08:00", end: str = "21:00") -> tuple[datetime, datetime]:
    """(send_after_utc, send_before_utc): ``start``..``end`` local on ``as_of`` in ``tz``."""
    zone = ZoneInfo(tz)
    s, e = _parse_hhmm(start), _parse_hhmm(end)
    local_start = datetime.combine(as_of, s, tzinfo=zone)
    local_end = datetime.combine(as_of if e > s else as_of + timedelta(days=1), e, tzinfo=zone)
    # round-trip through UTC normalises a wall time that falls in a DST gap (fold=0 -> the
    # earlier offset); 08:00-21:00 never falls in one in any zone that changes at night.
    return local_start.astimezone(UTC), local_end.astimezone(UTC)


_NANP = re.compile(r"^[2-9]\d{2}[2-9]\d{6}$")


def normalize_phone(raw: object) -> str | None:
    """US 10-digit or E.164 -> E.164 (``+1...``); ``None`` when it cannot be a valid number."""
    if raw is None:
        return None
    s = str(raw).strip()
    if not s:
        return None
    s = re.sub(r"(?i)\s*(ext\.?|x)\s*\d+$", "", s)  # drop an extension
    if re.search(r"[^\d\s().+\-/]", s):
        return None
    plus = s.startswith("+") or s.startswith("00")
    digits = re.sub(r"\D", "", s)
    if s.startswith("00"):
        digits = digits[2:]
    if plus:
        if digits.startswith("1"):
            return "+" + digits if len(digits) == 11 and _NANP.match(digits[1:]) else None
        return "+" + digits if 8 <= len(digits) <= 15 and digits[0] != "0" else None
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) == 10 and _NANP.match(digits):
        return "+1" + digits
    return None


SMS_COLUMNS = ("touch_id", "phone", "send_after", "send_before", "body")


def build_sms_rows(
    touches: Iterable[Touch | Mapping],
    clinic: Mapping,
    url_for: Callable[[Touch], str],
    *,
    start: str = "08:00",
    end: str = "21:00",
    window_day: Callable[[Touch, str], date] | None = None,
    compose: Callable[[Touch, Mapping, str], str] | None = None,
) -> tuple[list[dict], list[SendResult]]:
    """Rows for :func:`write_sms_batch` and the touches skipped (``bad number``). ``compose``
    writes the body (default :func:`sms_body`, the day-3 text; ``moves.sms_body`` for moves)."""
    compose = compose or sms_body
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
            body = compose(t, clinic, url_for(t))
        except ValueError as exc:  # messages name the touch_id only
            skipped.append(SendResult(t.touch_id, "skipped", f"cannot compose: {exc}"))
            continue
        tz = t.timezone or fallback_tz
        day = window_day(t, tz) if window_day else t.as_of_date
        after, before = send_window(day, tz, start, end)
        rows.append({"touch_id": t.touch_id, "phone": phone, "send_after": after, "send_before": before, "body": body})
    return rows, skipped


def write_sms_batch(rows: Iterable[Mapping], path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the gateway CSV atomically (mode 0600). ``path`` may be a folder (e.g.
    ``<outbox>/<date>/sms/``): then the next free ``sms_<nnnn>.csv``. Returns the path."""
    out = []
    for r in rows:
        phone = normalize_phone(r["phone"])
        if phone is None:
            raise ValueError(f"touch {r['touch_id']}: phone is not a valid number; skip it first")
        after, before = r["send_after"], r["send_before"]
        body = str(r["body"])
        if not is_gsm7(body) or segments(body) > MAX_SEGMENTS:
            raise ValueError(f"touch {r['touch_id']}: body is not GSM-7 within {MAX_SEGMENTS} segments")
        out.append(
            {
                "touch_id": r["touch_id"],
                "phone": phone,
                "send_after": utc_z(after) if isinstance(after, datetime) else str(after),
                "send_before": utc_z(before) if isinstance(before, datetime) else str(before),
                "body": body,
            }
        )
    return write_to(path, csv_bytes(SMS_COLUMNS, out), prefix="sms_", suffix=".csv", overwrite=overwrite)
