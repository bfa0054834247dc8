"""The CSV loader's reject mask (`checked_casts.valid`, one predicate per column) says a value is
good exactly when no rule of `checked_casts.checks` (the rejects and their reasons) breaks, for
every column of the contract and edge values of every type. A difference would load a bad row
or reject a row without a reason."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from orchestration.landing.contract import CSV_TABLES
from orchestration.raw.checked_casts import CastContext, checks, timezone_names, valid
from orchestration.raw.schema import ensure_schema

CTX = CastContext(
    "America/Chicago", date(2026, 11, 20), updated_at_max=datetime(2026, 11, 20, 18, 15), updated_at_future_minutes=15
)

GENERIC = [
    "",
    "   ",
    "x",
    "X",
    "  padded  ",
    "a\x00b",
    "\x1a",
    "tab\tinside",
    "line\nbreak",
    "cr\rreturn",
    "del\x7f",
    "c1\u0085",
    "c1\u009f",
    "é",
    "日本",
    "x" * 63,
    "x" * 64,
    "x" * 65,
    "x" * 100,
    "x" * 101,
    "x" * 254,
    "x" * 255,
    "1" * 10_000,
    "1" * 10_001,
    "NaN",
    "nan",
    "Infinity",
    "-inf",
    "null",
    "NULL",
    "G1",
    "E1",
    "G-UNKNOWN",
]
DATES = [
    "2026-11-20",
    "2026-11-21",
    "2026-01-01",
    "2024-02-29",
    "2023-02-29",
    "2026-13-01",
    "2026-1-5",
    "20261120",
    "2026/11/20",
    "11/20/2026",
    "0000-01-01",
    "1753-01-01",
    "1799-12-31",
    "1800-01-01",
    "1899-12-30",
    "9999-12-31",
    "10000-01-01",
    "2026-11-20 10:00:00",
    "2026-11-20T10:00",
    " 2026-11-20",
    "2026-11-20\x00",
    "-2026-11-20",
    "2026-11-20 (BC)",
    "epoch",
    "infinity",
]
TIMESTAMPS = [
    "2026-11-20T10:00:00Z",
    "2026-11-20 10:00:00",
    "2026-11-20T10:00",
    "2026-11-20T10:00:00.123456789+05:30",
    "2026-11-20T10:00:00-0600",
    "2026-11-20T10:00:00+05",
    "2026-11-20T10:00:00z",
    "2026-11-20T18:14:59Z",
    "2026-11-20T18:15:00Z",
    "2026-11-20T18:15:01Z",
    "2026-11-20T12:15:00",
    "2026-11-20T12:16:00",
    "2026-11-21",
    "2062-01-01T00:00:00Z",
    "1800-01-01T00:00:00Z",
    "1800-01-02T00:00:00Z",
    "1800-01-02T00:00:00+14:00",
    "9999-12-30T00:00:00Z",
    "9999-12-30T23:59:59Z",
    "9999-12-29T23:00:00-10:00",
    "0001-01-01T00:00:00Z",
    "2026-11-20T25:00:00Z",
    "2026-11-20T10:00:00 America/New_York",
    "2026-11-20T10:00:00+99:00",
    "2026-11-20 10:00:00 UTC",
    "2026-11-20T10:00:00.1234567890Z",
    "2026/11/20 10:00",
    "1700000000",
    "infinity",
    "epoch",
]
NUMBERS = [
    "0",
    "0.00",
    "-0",
    "-0.01",
    "0.01",
    ".5",
    "-.5",
    "5.",
    "1234.50",
    "1234.505",
    "1234.500",
    "$12.00",
    "-$5",
    "1,234.00",
    "1 234",
    "1e3",
    "1E3",
    "+5",
    "--5",
    "9999999999.99",
    "10000000000",
    "-9999999999.99",
    "12345678901234567890",
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "1",
    "3",
    "50",
    "100",
    "100.0001",
    "-1",
    "0x10",
    "٣",
    "１２",
    "00000000000000000001",
]
WORDS = [
    "true",
    "false",
    "TRUE",
    "False",
    "t",
    "yes",
    "1",
    "0",
    "sms",
    "SMS",
    "email",
    "payment",
    "PAYMENT",
    "gift",
    "card_on_file",
    "tx",
    "TX",
    "tx\x00",
    "ZZ",
    "America/Chicago",
    "america/chicago",
    "UTC",
    "EST5EDT",
    "Mars/Olympus",
    "America/Chicago ",
    "hardship_discount",
    "pending",
    "open",
]
VALUES = GENERIC + DATES + TIMESTAMPS + NUMBERS + WORDS


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute("SET TimeZone = 'America/Chicago'")
    ensure_schema(c)
    c.execute("INSERT INTO raw.guarantors (guarantor_id) VALUES ('G1'), ('x'), (NULL)")
    c.execute("INSERT INTO raw.encounters (encounter_id) VALUES ('E1'), ('X'), (NULL)")
    c.execute("CREATE TEMP TABLE _tz_names AS SELECT unnest(?::VARCHAR[]) AS name", [timezone_names()])
    c.execute("CREATE TEMP TABLE _vals AS SELECT unnest(?::VARCHAR[]) AS raw", [VALUES])
    yield c
    c.close()


@pytest.mark.parametrize("spec", CSV_TABLES, ids=lambda s: s.name)
def test_the_mask_is_the_rules(con, spec) -> None:
    checked = 0
    for col in spec.columns:
        v = "nullif(trim(raw), '')"
        broken = " OR ".join(f"coalesce({p}, false)" for p, _ in checks(col, v, CTX))
        rows = con.execute(f"SELECT raw, {valid(col, v, CTX)}, NOT ({broken}) FROM _vals").fetchall()
        differ = [(col.name, col.type, raw[:40], mask, rules) for raw, mask, rules in rows if mask is not rules]
        assert not differ, differ
        checked += len(rows)
        # every value is judged one way or the other; the edge values hit both for every type
        assert {m for _, m, _ in rows} == {True, False}, col.name
    assert checked == len(VALUES) * len(spec.columns)
