"""Checked casts: every landing CSV value's contract rule (docs/landing.md) as one SQL predicate,
and its stored value as a cast that cannot fail.

For a column `col` and a SQL expression `v` of its trimmed text (NULL when empty):

* `checks(col, v, ctx)` -> [(predicate, reason)]: each predicate is TRUE when the value breaks
  one rule (a row reject with that reason), FALSE or NULL when it does not. The type rules are
  written with `try_cast` and the contract's limits, so a value the warehouse type cannot hold
  -- a 20-digit number, NaN, a year 0 date, an instant past 9999 -- is a reject, never a
  DuckDB conversion error that stops the file;
* `valid(col, v, ctx)` -> a predicate TRUE exactly when no predicate of `checks` is: the
  column's part of a row's reject mask, each cast and regex evaluated once (a regex behind
  the `try_cast` that already rejects most bad values);
* `typed(col, v, ctx)` -> [(expression, output name)]: the stored value(s), with `try_cast` too
  (a row that passed every check casts to the same value; a row that did not is never stored).

All are plain expressions over one value. `orchestration/raw/csv_loader.py` evaluates `typed`
and `valid` for every row in one pass, and `checks` only on the rows the mask rejects (one
reject per broken rule).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from orchestration.landing.contract import DATE_MAX, DATE_MIN, MONEY_MAX_DIGITS, Column
from orchestration.raw.schema import SQL_TYPES

DATE_RE = r"\d{4}-\d{2}-\d{2}"
TS_RE = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}(:?\d{2})?)?"
MONEY_RE = r"-?(\d+(\.\d{1,2})?|\.\d{1,2})"
MONEY_IN_RANGE_RE = r"-?(\d{1," + str(MONEY_MAX_DIGITS) + r"}(\.\d{1,2})?|\.\d{1,2})"
NUMBER_RE = r"-?(\d+(\.\d+)?|\.\d+)"
INT_RE = r"-?\d+"
# C0 controls but tab, line feed and carriage return (legal inside a quoted CSV value), DEL and
# the C1 controls (what a Windows-1252 export read as Latin-1 leaves): NUL, ^Z (DOS end of file)…
CONTROL_RE = r"[\x{00}-\x{08}\x{0b}\x{0c}\x{0e}-\x{1f}\x{7f}-\x{9f}]"

# reasons (public: tests and docs quote them)
MISSING = "missing required value"
TOO_LONG = "value too long (more than {n} characters)"
CONTROL = "control character in value (NUL, ^Z or another non-printing character)"
BAD_DATE = "invalid date (expected YYYY-MM-DD)"
DATE_RANGE = f"date out of range ({DATE_MIN} to {DATE_MAX})"
FUTURE_DATE = "date in the future"
BAD_TS = "invalid timestamp (expected ISO 8601)"
TS_RANGE = f"timestamp out of range ({DATE_MIN} to {DATE_MAX})"
FUTURE_UPDATED_AT = "updated_at is in the future (later than the run's start + {n} minutes)"
MONEY_SIGN = "invalid money: currency sign"
MONEY_SEPARATOR = "invalid money: thousands separator"
BAD_MONEY = "invalid money (expected decimal dollars, at most 2 decimals)"
MONEY_RANGE = f"amount out of range (at most {MONEY_MAX_DIGITS} digits before the decimal point)"
NEGATIVE = "negative amount not allowed"
NOT_POSITIVE = "amount must be greater than 0"
BAD_INT = "invalid whole number"
INT_RANGE = "whole number out of range"
BAD_PCT = "invalid percentage (0-100)"
BAD_BOOL = "invalid boolean (expected true or false)"
BAD_ENUM = "unknown enum value"
BAD_TZ = "unknown time zone (expected an IANA name)"


@dataclass(frozen=True)
class CastContext:
    """What a rule needs besides the value: the clinic's zone (timestamps without an offset),
    the clinic-local load date (`not_future` dates) and the latest acceptable `updated_at`
    (naive UTC: the run's start plus the policy's tolerance), with that tolerance in minutes."""

    clinic_tz: str
    today: date
    updated_at_max: datetime | None = None
    updated_at_future_minutes: int = 0

    @staticmethod
    def for_run(clinic_tz: str, today: date, started_at: datetime, future_minutes: int) -> CastContext:
        return CastContext(clinic_tz, today, started_at + timedelta(minutes=future_minutes), future_minutes)


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def timezone_names() -> list[str]:
    """The IANA names a `timezone` value may take (a temp table `_tz_names` of the loader)."""
    return sorted(zoneinfo.available_timezones())


def checks(col: Column, v: str, ctx: CastContext) -> list[tuple[str, str]]:
    """(predicate TRUE for a bad value, reason) of one column; `v` is NULL for an empty value."""
    out: list[tuple[str, str]] = []
    if col.required:
        out.append((f"{v} IS NULL", MISSING))
    out.append((f"length({v}) > {col.max_chars}", TOO_LONG.format(n=col.max_chars)))
    # the other rules only look at a value within the column's length (a 3 MB value is one
    # reject, not one per rule)
    sane = f"{v} IS NOT NULL AND length({v}) <= {col.max_chars}"
    out.append((f"{sane} AND regexp_matches({v}, '{CONTROL_RE}')", CONTROL))
    out += [(f"{sane} AND ({p})", r) for p, r in _type_rules(col, v, ctx)]
    return out


def _type_rules(col: Column, v: str, ctx: CastContext) -> list[tuple[str, str]]:
    t = col.type
    rules: list[tuple[str, str]] = []
    if t == "date":
        d = f"try_cast({v} AS DATE)"
        ok = f"(regexp_full_match({v}, '{DATE_RE}') AND {d} IS NOT NULL)"
        rules.append((f"NOT {ok}", BAD_DATE))
        rules.append((f"{ok} AND {d} NOT BETWEEN DATE '{DATE_MIN}' AND DATE '{DATE_MAX}'", DATE_RANGE))
        if col.not_future:
            rules.append((f"{ok} AND {d} > DATE '{ctx.today.isoformat()}'", FUTURE_DATE))
    elif t in ("timestamp", "datetime"):
        # a plain date is accepted too (local midnight): real exports often drop the time
        ts = f"try_cast({v} AS TIMESTAMPTZ)"
        ok = f"((regexp_full_match({v}, '{TS_RE}') OR regexp_full_match({v}, '{DATE_RE}')) AND {ts} IS NOT NULL)"
        rules.append((f"NOT {ok}", BAD_TS))
        # a day inside the bounds on both sides, so that the UTC instant and the clinic-local
        # date both stay inside them (and inside what Python and pandas can hold)
        lo, hi = DATE_MIN + timedelta(days=1), DATE_MAX - timedelta(days=1)
        rules.append(
            (f"{ok} AND {ts} NOT BETWEEN TIMESTAMPTZ '{lo} 00:00:00+00' AND TIMESTAMPTZ '{hi} 00:00:00+00'", TS_RANGE)
        )
        if col.name == "updated_at" and ctx.updated_at_max is not None:
            limit = ctx.updated_at_max.isoformat(sep=" ")
            rules.append(
                (f"{ok} AND {ts} > TIMESTAMPTZ '{limit}+00'", FUTURE_UPDATED_AT.format(n=ctx.updated_at_future_minutes))
            )
    elif t == "money":
        plain = f"NOT contains({v}, '$') AND NOT contains({v}, ',')"
        rules.append((f"contains({v}, '$')", MONEY_SIGN))
        rules.append((f"NOT contains({v}, '$') AND contains({v}, ',')", MONEY_SEPARATOR))
        rules.append((f"{plain} AND NOT regexp_full_match({v}, '{MONEY_RE}')", BAD_MONEY))
        rules.append(
            (f"regexp_full_match({v}, '{MONEY_RE}') AND NOT regexp_full_match({v}, '{MONEY_IN_RANGE_RE}')", MONEY_RANGE)
        )
        ok = f"regexp_full_match({v}, '{MONEY_IN_RANGE_RE}')"
        if col.min_value is not None:
            rules.append((f"{ok} AND try_cast({v} AS DECIMAL(18,2)) < {col.min_value}", NEGATIVE))
        if col.strict_positive:
            rules.append((f"{ok} AND try_cast({v} AS DECIMAL(18,2)) = 0", NOT_POSITIVE))
    elif t == "int":
        n = f"try_cast({v} AS {SQL_TYPES['int']})"
        rules.append((f"NOT regexp_full_match({v}, '{INT_RE}')", BAD_INT))
        rules.append((f"regexp_full_match({v}, '{INT_RE}') AND {n} IS NULL", INT_RANGE))
        if col.min_value is not None:
            rules.append((f"{n} < {col.min_value:g}", f"must be at least {col.min_value:g}"))
    elif t == "pct":
        x = f"try_cast({v} AS DOUBLE)"
        rules.append((f"NOT regexp_full_match({v}, '{NUMBER_RE}') OR {x} IS NULL OR {x} < 0 OR {x} > 100", BAD_PCT))
    elif t == "bool":
        rules.append((f"lower({v}) NOT IN ('true', 'false')", BAD_BOOL))
    elif t == "enum":
        values = ", ".join(_q(x.lower()) for x in col.values)
        rules.append((f"lower({v}) NOT IN ({values})", BAD_ENUM))
    elif t == "timezone":
        rules.append((f"{v} NOT IN (SELECT name FROM _tz_names)", BAD_TZ))
    if col.references:
        key = "guarantor_id" if col.references == "guarantors" else "encounter_id"
        rules.append(
            (
                f"{v} NOT IN (SELECT {key} FROM raw.{col.references} WHERE {key} IS NOT NULL)",
                f"orphan: unknown {col.references[:-1]}",
            )
        )
    return rules


_CAST_TYPES = {"date": "DATE", "timestamp": "TIMESTAMPTZ", "datetime": "TIMESTAMPTZ", "money": "DECIMAL(18,2)"}
_CAST_TYPES["int"] = SQL_TYPES["int"]


def cast(col: Column, v: str) -> str | None:
    """The `try_cast` of a value that both `valid` and `typed` read (None for a type without
    one): a loader may compute it once per value and pass it to both as `x`."""
    return f"try_cast({v} AS {_CAST_TYPES[col.type]})" if col.type in _CAST_TYPES else None


def valid(col: Column, v: str, ctx: CastContext, x: str | None = None) -> str:
    """A predicate TRUE exactly when no rule of `checks(col, v, ctx)` is TRUE (never NULL): the
    column's part of a row's reject mask, with each cast and regex evaluated once.

    The rules of `checks` each repeat the value's format test (a reject says which rule broke);
    this is their conjunction, written so that a value is read as few times as it can be: the
    control-character regex only on text (a date, number, boolean, enum or zone name that
    passes its own test holds no control character), and each regex behind the `try_cast`
    that rejects most bad values without it. tests/raw/test_checked_casts.py holds the two
    equal on the bad-input catalogue and on edge values of every type."""
    ok = f"length({v}) <= {col.max_chars} AND {_valid_value(col, v, ctx, x or cast(col, v))}"
    if col.references:
        key = "guarantor_id" if col.references == "guarantors" else "encounter_id"
        ok += f" AND {v} IN (SELECT {key} FROM raw.{col.references} WHERE {key} IS NOT NULL)"
    empty = "false" if col.required else "true"
    return f"CASE WHEN {v} IS NULL THEN {empty} ELSE coalesce({ok}, false) END"


def _valid_value(col: Column, v: str, ctx: CastContext, x: str | None) -> str:
    """The type rules of a non-empty value within its length, as one positive test."""
    t = col.type
    if t == "date":
        d = x
        ok = f"{d} BETWEEN DATE '{DATE_MIN}' AND DATE '{DATE_MAX}'"
        if col.not_future:
            ok += f" AND {d} <= DATE '{ctx.today.isoformat()}'"
        return f"{ok} AND regexp_full_match({v}, '{DATE_RE}')"
    if t in ("timestamp", "datetime"):
        ts = x
        lo, hi = DATE_MIN + timedelta(days=1), DATE_MAX - timedelta(days=1)
        ok = f"{ts} BETWEEN TIMESTAMPTZ '{lo} 00:00:00+00' AND TIMESTAMPTZ '{hi} 00:00:00+00'"
        if col.name == "updated_at" and ctx.updated_at_max is not None:
            ok += f" AND {ts} <= TIMESTAMPTZ '{ctx.updated_at_max.isoformat(sep=' ')}+00'"
        return f"{ok} AND (regexp_full_match({v}, '{TS_RE}') OR regexp_full_match({v}, '{DATE_RE}'))"
    if t == "money":
        ok = f"regexp_full_match({v}, '{MONEY_IN_RANGE_RE}')"
        if col.min_value is not None:
            ok += f" AND NOT coalesce({x} < {col.min_value}, false)"
        if col.strict_positive:
            ok += f" AND NOT coalesce({x} = 0, false)"
        return ok
    if t == "int":
        n = x
        ok = f"{n} IS NOT NULL AND regexp_full_match({v}, '{INT_RE}')"
        if col.min_value is not None:
            ok += f" AND {n} >= {col.min_value:g}"
        return ok
    if t == "pct":
        pct = f"try_cast({v} AS DOUBLE)"
        return f"{pct} BETWEEN 0 AND 100 AND regexp_full_match({v}, '{NUMBER_RE}')"
    if t == "bool":
        return f"lower({v}) IN ('true', 'false')"
    if t == "enum":
        return f"lower({v}) IN ({', '.join(_q(value.lower()) for value in col.values)})"
    if t == "timezone":
        return f"{v} IN (SELECT name FROM _tz_names)"
    return f"NOT regexp_matches({v}, '{CONTROL_RE}')"


def typed(col: Column, v: str, ctx: CastContext, x: str | None = None) -> list[tuple[str, str]]:
    """(SQL expression, output name) of the stored value(s) of a checked column; `x` is
    `cast(col, v)` when the caller computed it."""
    t = col.type
    x = x or cast(col, v)
    if t in ("timestamp", "datetime"):
        ts = x
        out = [(f"timezone('UTC', {ts})", col.name)]
        if col.name != "updated_at":
            out.append((f"CAST(timezone({_q(ctx.clinic_tz)}, {ts}) AS DATE)", f"{col.stem}_date"))
        return out
    if t == "enum" and all(x.isupper() for x in col.values):
        return [(f"upper({v})", col.name)]  # e.g. state codes
    if t in ("enum", "bool"):
        return [(f"try_cast(lower({v}) AS {SQL_TYPES[t]})", col.name)]
    if t in ("text", "timezone"):
        return [(v, col.name)]
    return [(x or f"try_cast({v} AS {SQL_TYPES[t]})", col.name)]
