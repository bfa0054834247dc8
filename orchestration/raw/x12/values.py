"""Amounts, quantities and dates of an 835: the memoised converters and their exact-mode rules.

Money is kept as the text of the amount as written; every amount is still checked with
``Decimal()`` where it is read (memoised per file).  The fast pass uses plain ``Decimal``; when a
file holds an amount that is not a plain ``[-]digits[.digits]`` number or that breaks the money
rules (docs/landing.md, "835 remittances"), the reader runs again with ``strict_decimal`` /
``strict_quantity``, which reject it (the transaction holding it is held with the reason).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from orchestration.landing.contract import MONEY_MAX_DIGITS

ZERO = Decimal(0)
HALF_CENT = Decimal("0.005")


class BadNumber(InvalidOperation):
    """An amount or quantity the exact mode refuses; ``str(e)`` is the hold reason."""


_MONEY_LIMIT = Decimal(10) ** MONEY_MAX_DIGITS
_QUANTITY_LIMIT = Decimal(10) ** 14  # DECIMAL(18,4) of the raw tables
_CENT = Decimal("0.01")
_MONEY_RANGE = f"an amount is out of range (more than {MONEY_MAX_DIGITS} digits before the decimal point)"
_MONEY_DECIMALS = "an amount has more than 2 decimals (money has at most 2 decimals; nothing is rounded)"


def strict_decimal(s: str) -> Decimal:
    """Money as the exact mode reads it: Decimal(s) that rejects NaN and Infinity, an amount the
    warehouse cannot hold and a third decimal that is not 0 (storing it would round it)."""
    d = Decimal(s)  # raises InvalidOperation on non-numbers
    if not d.is_finite():
        raise BadNumber("an amount is not a number (NaN or Infinity)")
    if abs(d) >= _MONEY_LIMIT:
        raise BadNumber(_MONEY_RANGE)
    if d != d.quantize(_CENT):
        raise BadNumber(_MONEY_DECIMALS)
    return d


def strict_quantity(s: str) -> Decimal:
    """A quantity (CAS04, SVC05) as the exact mode reads it: finite and within DECIMAL(18,4)."""
    d = Decimal(s)
    if not d.is_finite():
        raise BadNumber("a quantity is not a finite number")
    if abs(d) >= _QUANTITY_LIMIT:
        raise BadNumber("a quantity is out of range (more than 14 digits before the decimal point)")
    return d


# an amount text that may break the money rules: a third decimal or 11+ digits in a row
_SUSPECT_MONEY = re.compile(r"\.[0-9]{3}|[0-9]{" + str(MONEY_MAX_DIGITS + 1) + "}")


def money_rules_hold(memo: dict, quantities: dict) -> bool:
    """True when every amount of the memo (all plain numbers, see ``all_plain``) has at most 2
    decimals that matter and fits the warehouse, and every quantity fits its column."""
    if memo and _SUSPECT_MONEY.search("\n".join(memo)):
        for d in memo.values():
            if abs(d) >= _MONEY_LIMIT or d != d.quantize(_CENT):
                return False
    return all(abs(q) < _QUANTITY_LIMIT for q in quantities.values())


class Dates(dict):
    """str -> date memo for CCYYMMDD values; anything else maps to None."""

    def __missing__(self, s: str) -> date | None:
        d = None
        t = s.strip()
        if len(t) == 8 and t.isdigit():
            try:
                d = date(int(t[:4]), int(t[4:6]), int(t[6:]))
            except ValueError:
                d = None
        self[s] = d
        return d


class DecimalOf(dict):
    """Amount text -> Decimal: the file's memo; a PR sum's text is converted when first met."""

    def __missing__(self, text: str) -> Decimal:
        d = self[text] = Decimal(text)
        return d


def money(memo: dict, conv, s: str) -> Decimal:
    """Memoised money conversion (the hot paths inline the cache hit)."""
    d = memo.get(s)
    if d is None:
        d = memo[s] = conv(s)
    return d


def composite(value: str, comp: str) -> tuple[str, str | None]:
    """Split a composite into (code, rest or None), by the declared or else the used separator."""
    if comp in value:
        code, _, rest = value.partition(comp)
        return code, rest
    c = value[2:3]
    if c in (":", ">") and value[:2].isalnum():
        return value[:2], value[3:]
    return value, None


def fmt(d: Decimal) -> str:
    """Money for a message: two decimals, or scientific notation for absurd magnitudes."""
    return f"{d:.2f}" if d.adjusted() < 20 else f"{d:.3E}"


def why(exc: Exception) -> str:
    """Short reason for a malformed segment (no element values: they may identify a patient)."""
    if isinstance(exc, BadNumber):
        return str(exc)
    if isinstance(exc, InvalidOperation):
        return "an amount is not a number"
    if isinstance(exc, ArithmeticError):
        return "an amount is out of range"
    if isinstance(exc, IndexError):
        return "required elements are missing"
    return type(exc).__name__


def sum_text(text: str, amt: Decimal) -> str:
    """Text of ``Decimal(text) + amt`` (a PR sum) in plain notation."""
    t = str(Decimal(text) + amt)
    return t if "E" not in t else plain(Decimal(t))


def plain(d: Decimal) -> str:
    """Exact text of a finite Decimal without an exponent (DuckDB reads it as Decimal does)."""
    if -40 < d.adjusted() < 40:
        return format(d, "f")
    return str(d)  # absurd magnitudes: left to the database to refuse


_PLAIN_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def all_plain(memo: dict) -> bool:
    """True when every amount text of the memo is a plain ``[-]digits[.digits]`` number of at
    most 28 characters (Decimal's default precision: adding it to 0 is exact).

    The memo keys all went through ``Decimal()``, so a key made of ASCII digits, '.' and '-'
    only is such a number (and finite); one byte scan answers for the whole file.
    """
    if not memo:
        return True
    try:
        b = "\n".join(memo).encode("ascii")
    except UnicodeEncodeError:
        return False
    return not b.translate(None, b"0123456789.-\n") and max(map(len, memo)) <= 28


def odd_tokens(memo: dict) -> dict[str, str]:
    """Amount texts that are not plain ``[-]digits[.digits]`` -> the same value in plain text.

    (``Decimal()`` also reads ``' 5'``, ``'+5'``, ``'1E3'``, ``'1_000'``, non-ASCII digits...)
    """
    if all_plain(memo):
        return {}
    return {t: plain(d) for t, d in memo.items() if not _PLAIN_NUMBER.fullmatch(t)}
