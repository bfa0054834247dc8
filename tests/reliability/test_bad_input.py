"""The bad-input catalogue: every rule of the landing contract (docs/landing.md) broken once, on
a small landing zone loaded by the real ingest step (orchestration/raw/ingest.py).

Each case is one row of CATALOGUE: an id, the contract rule it breaks, how the landing zone
is changed, and the outcome it must have -- the exact ledger status and reason of each file,
the exact (file, line, column, reason) rows of raw.load_rejects, and the keys every raw table
holds afterwards (so every good row beside a bad one is shown to have loaded, and nothing
else did). On top of that, every case checks that no row went missing: each data record of a
loaded CSV is either in its raw table (or superseded by a newer version of its key) or in
raw.load_rejects. docs/reliability.md shows this table; `test_docs_list_every_case` keeps the
two in step.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from tests.raw.landing_helpers import rejects, run, write
from tests.warehouse.harness import era_835

REPO = Path(__file__).resolve().parents[2]
CSV_EXPECTS = "the contract expects comma-separated UTF-8 text with one header row (docs/landing.md)"
TS = "2026-01-02T10:00:00Z"

# ---------------------------------------------------------------------------------- the base
# a small, valid landing zone: two guarantors, two encounters, one payment, one 835
G_HEADER = "guarantor_id,first_name,last_name,date_of_birth,state,timezone,preferred_channel,updated_at"
E_HEADER = "encounter_id,guarantor_id,patient_id,service_date,total_charge,primary_payer_id,updated_at"
T_HEADER = "transaction_id,guarantor_id,encounter_id,posted_at,type,method,amount,updated_at"


def g_row(gid: str, last: str = "Lee", state: str = "IL", ts: str = TS, **kw) -> str:
    return ",".join(
        [
            gid,
            kw.get("first", "Ann"),
            last,
            kw.get("dob", "1980-01-02"),
            state,
            kw.get("tz", ""),
            kw.get("channel", "sms"),
            ts,
        ]
    )


def e_row(eid: str, gid: str = "G1", charge: str = "100.00", day: str = "2026-03-01") -> str:
    return f"{eid},{gid},P-{eid},{day},{charge},AETNA,{TS}"


def t_row(
    tid: str, typ: str = "payment", method: str = "card", amount: str = "10.00", eid: str = "E1", gid: str = "G1"
) -> str:
    return f"{tid},{gid},{eid},2026-03-05,{typ},{method},{amount},{TS}"


def lines(header: str, *rows: str, nl: str = "\n") -> str:
    return nl.join([header, *rows]) + nl


def claim(eid: str, paid: str = "80.00", pr: str = "20.00") -> dict:
    return dict(
        eid=eid,
        status="1",
        charge="100.00",
        paid=paid,
        pr=pr,
        clp07=f"X{eid.strip()}",
        deductible=None,
        coinsurance=None,
        copay=None,
    )


BASE_835 = era_835("AETNA", "2026-09-01", [claim("E1")], control=1)


def base(root: Path) -> None:
    write(root, "pm/guarantors_a.csv", lines(G_HEADER, g_row("G1"), g_row("G2", "Ray", "TX")))
    write(root, "pm/encounters_a.csv", lines(E_HEADER, e_row("E1"), e_row("E2", "G2", "50.00")))
    write(root, "pm/patient_transactions_a.csv", lines(T_HEADER, t_row("T1")))
    write(root, "era/base.835", BASE_835)


BASE_KEYS = {
    "guarantors": {"G1", "G2"},
    "encounters": {"E1", "E2"},
    "patient_transactions": {"T1"},
    "remittance_claims": {"E1"},
}
KEY_OF = {
    "guarantors": "guarantor_id",
    "encounters": "encounter_id",
    "patient_transactions": "transaction_id",
    "payment_plans": "plan_id",
    "disputes": "dispute_id",
    "hardship": "application_id",
    "contact_log": "contact_id",
    "agency_activity": "activity_id",
    "remittance_claims": "patient_control_number",
    "sendgrid_events": "sg_event_id",
}
BASE_LEDGER = {
    "pm/guarantors_a.csv": ("loaded", None),
    "pm/encounters_a.csv": ("loaded", None),
    "pm/patient_transactions_a.csv": ("loaded", None),
    "era/base.835": ("loaded", None),
}


# --------------------------------------------------------------------------------- the table
@dataclass
class Case:
    id: str
    rule: str  # the contract rule broken (short)
    change: str  # what the case does to the landing zone
    outcome: str  # the outcome, in words (docs/reliability.md)
    mutate: Callable[[Path], None]
    ledger: dict[str, tuple] = field(default_factory=dict)  # file -> (status, reason)
    rejects: list[tuple] = field(default_factory=list)  # (file, line, column, reason)
    keys: dict[str, set] = field(default_factory=dict)  # table -> keys held afterwards
    values: dict[str, object] = field(default_factory=dict)  # SQL -> expected single value
    warnings: dict[str, str] = field(default_factory=dict)  # file -> text in its warnings
    first: Callable[[Path], None] | None = None  # loaded in an earlier run, before `mutate`
    no_base: bool = False


def add(rel: str, text: str | bytes) -> Callable[[Path], None]:
    return lambda root: write(root, rel, text)


def both(*fns: Callable[[Path], None]) -> Callable[[Path], None]:
    def go(root: Path) -> None:
        for fn in fns:
            fn(root)

    return go


def guarantors_case(*bad: str, header: str = G_HEADER, nl: str = "\n") -> str:
    """A guarantors file: a good row before and after the bad one(s)."""
    return lines(header, g_row("G10"), *bad, g_row("G11"), nl=nl)


def encounters_case(*bad: str) -> str:
    return lines(E_HEADER, e_row("E10"), *bad, e_row("E11"))


def transactions_case(*bad: str) -> str:
    return lines(T_HEADER, t_row("T10"), *bad, t_row("T11"))


GC, EC, TC = "pm/guarantors_case.csv", "pm/encounters_case.csv", "pm/patient_transactions_case.csv"
G_PLUS = {"guarantors": {"G1", "G2", "G10", "G11"}}
E_PLUS = {"encounters": {"E1", "E2", "E10", "E11"}}
T_PLUS = {"patient_transactions": {"T1", "T10", "T11"}}
LOADED, WARN, QUAR, REJ, DUP = "loaded", "loaded_with_warnings", "quarantined", "rejected_file", "duplicate"


def row_reject(file: str, column: str, reason: str, line: int = 3) -> list[tuple]:
    return [(file, line, column, reason)]


def _touch(rel: str, text: str | None = None) -> Callable[[Path], None]:
    """Rewrite a file (or only bump its mtime), so that its (size, mtime) differ from the ledger's."""

    def go(root: Path) -> None:
        p = root / rel
        if text is not None:
            p.write_text(text)
        st = p.stat()
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000_000))

    return go


def _835(control: int, *claims: dict, day: str = "2026-09-02") -> str:
    return era_835("AETNA", day, list(claims), control=control)


def _with_plb(text: str, amount: str, bpr02: str) -> str:
    """One PLB (provider-level adjustment) before the SE (SE01 kept right), BPR02 set."""
    n = int(re.search(r"SE\*(\d+)\*", text).group(1))
    text = re.sub(r"SE\*\d+\*", f"SE*{n + 1}*", text, count=1)
    text = text.replace("~\nSE*", f"~\nPLB*1512345678*20261231*WO:REF1*{amount}~\nSE*", 1)
    return re.sub(r"BPR\*I\*[0-9.]+\*", f"BPR*I*{bpr02}*", text, count=1)


UNBALANCED_TX = _835(3, claim("E2", "40.00", "10.00")).replace("BPR*I*40.00", "BPR*I*41.00")
TWO_TX = _835(2, claim("E1"), day="2026-09-02") + UNBALANCED_TX

CATALOGUE: list[Case] = [
    # ---- CSV structure
    Case(
        "missing_required_column",
        "a missing required column rejects the whole file, naming file and column",
        "guarantors file without `last_name`",
        "file rejected; base rows stay",
        add(GC, lines(G_HEADER.replace(",last_name", ""), "G10,Ann,1980-01-02,IL,,sms," + TS)),
        ledger={GC: (REJ, "pm/guarantors_case.csv: missing required column last_name")},
    ),
    Case(
        "missing_defining_date_column",
        "where no required columns are named: key, guarantor_id and the defining date are required",
        "disputes file without `opened_at`",
        "file rejected",
        add("ops/disputes_case.csv", "dispute_id,guarantor_id,reason,updated_at\nD1,G1,other," + TS + "\n"),
        ledger={"ops/disputes_case.csv": (REJ, "ops/disputes_case.csv: missing required column opened_at")},
        keys={"disputes": set()},
    ),
    Case(
        "extra_column",
        "extra columns are ignored and listed in the load report",
        "guarantors file with a `favourite_colour` column",
        "rows load; ledger lists the column",
        add(GC, guarantors_case(header=G_HEADER + ",favourite_colour").replace(TS + "\n", TS + ",blue\n")),
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
        values={
            "SELECT extra_columns FROM raw.file_ledger WHERE file_name = 'pm/guarantors_case.csv'": "favourite_colour"
        },
    ),
    Case(
        "column_order_free",
        "column order is free",
        "encounters file with its columns reversed",
        "rows load with the right values",
        add(
            EC,
            ",".join(reversed(E_HEADER.split(",")))
            + "\n"
            + ",".join(reversed(e_row("E10", charge="12.34").split(",")))
            + "\n",
        ),
        ledger={EC: (LOADED, None)},
        keys={"encounters": {"E1", "E2", "E10"}},
        values={"SELECT total_charge FROM raw.encounters WHERE encounter_id = 'E10'": 12.34},
    ),
    Case(
        "header_case_and_spaces",
        "(contract silent) a real export's header spelling: any case, spaces around names",
        "header ` Guarantor_ID , FIRST_NAME , …`",
        "rows load",
        add(
            GC,
            guarantors_case(header=", ".join(c.upper() for c in G_HEADER.split(","))).replace(
                ", ".join(c.upper() for c in G_HEADER.split(",")),
                " " + ", ".join(c.upper() for c in G_HEADER.split(",")),
            ),
        ),
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
    ),
    Case(
        "bom",
        "UTF-8 with a BOM is tolerated",
        "guarantors file starting with EF BB BF",
        "rows load; the first column is found",
        add(GC, b"\xef\xbb\xbf" + guarantors_case().encode()),
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
    ),
    Case(
        "crlf",
        "RFC 4180 (CRLF line ends)",
        "guarantors file with CRLF line ends",
        "rows load",
        add(GC, guarantors_case(nl="\r\n")),
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
        values={"SELECT updated_at::VARCHAR FROM raw.guarantors WHERE guarantor_id = 'G11'": "2026-01-02 10:00:00"},
    ),
    Case(
        "bom_crlf_no_final_newline",
        "BOM + CRLF + no line end after the last row",
        "all three at once",
        "rows load",
        add(GC, b"\xef\xbb\xbf" + guarantors_case(nl="\r\n").rstrip("\r\n").encode()),
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
    ),
    Case(
        "rfc4180_quoting",
        "RFC 4180 quoting: commas, doubled quotes and line breaks inside quotes",
        'last_name `"O""Neil, Jr"` and a two-line first_name',
        "rows load with the exact values",
        add(GC, guarantors_case(g_row("G12", last='"O""Neil, Jr"', first='"Mary\nAnn"'))),
        ledger={GC: (LOADED, None)},
        keys={"guarantors": {"G1", "G2", "G10", "G11", "G12"}},
        values={
            "SELECT last_name || '|' || first_name FROM raw.guarantors WHERE guarantor_id = 'G12'": (
                'O"Neil, Jr|Mary\nAnn'
            )
        },
    ),
    Case(
        "row_too_many_fields",
        "RFC 4180: every record has the header's field count (bad row)",
        "one row with two stray fields",
        "row rejected `(row)`; the others load",
        add(GC, guarantors_case(g_row("G12") + ",stray,more")),
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
        rejects=row_reject(GC, "(row)", "row has more fields than the header (8)"),
    ),
    Case(
        "row_too_many_fields_late",
        "every record has the header's field count, anywhere in the file",
        "a stray field on row 25,000 of 30,000 (past DuckDB's sniffing sample)",
        "that row rejected; 29,999 load",
        add(
            GC,
            lines(G_HEADER, *[g_row(f"G{i}") if i != 25_000 else g_row(f"G{i}") + ",stray" for i in range(10, 30_010)]),
        ),
        ledger={GC: (LOADED, None)},
        rejects=[(GC, 24_992, "(row)", "row has more fields than the header (8)")],
        keys={"guarantors": {"G1", "G2"} | {f"G{i}" for i in range(10, 30_010) if i != 25_000}},
    ),
    Case(
        "quote_inside_unquoted_field",
        "RFC 4180 (a stray quote a real export may write)",
        'first_name `Ann 5"10` (one quote, not at the start)',
        "loads as written",
        add(GC, guarantors_case(g_row("G12", first='Ann 5"10'))),
        ledger={GC: (LOADED, None)},
        keys={"guarantors": {"G1", "G2", "G10", "G11", "G12"}},
        values={"SELECT first_name FROM raw.guarantors WHERE guarantor_id = 'G12'": 'Ann 5"10'},
    ),
    Case(
        "row_too_few_fields",
        "a required value missing is a row error",
        "one row cut after its third field",
        "row rejected for each missing required value",
        add(GC, guarantors_case("G12,Ann,Lee")),
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
        rejects=[(GC, 3, "updated_at", "missing required value")],
    ),
    Case(
        "huge_field",
        "a bad row is rejected, the rest of the file loads",
        "a 3 MB first_name",
        "row rejected: value too long; the others load",
        add(GC, guarantors_case(g_row("G12", first="x" * 3_000_000))),
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
        rejects=row_reject(GC, "first_name", "value too long (more than 100 characters)"),
    ),
    Case(
        "empty_file",
        "a file that cannot be parsed is quarantined",
        "a 0-byte guarantors file",
        "quarantined",
        add(GC, b""),
        ledger={GC: (QUAR, "empty file: no header row")},
    ),
    Case(
        "header_only",
        "a file with no rows is a quiet file",
        "guarantors header and nothing else",
        "loaded, 0 rows",
        add(GC, G_HEADER + "\n"),
        ledger={GC: (LOADED, None)},
        values={"SELECT rows_read FROM raw.file_ledger WHERE file_name = 'pm/guarantors_case.csv'": 0},
    ),
    Case(
        "non_utf8",
        "UTF-8 only",
        "a Latin-1 guarantors file (José)",
        "quarantined with the line",
        add(GC, guarantors_case(g_row("G12", first="Jos\xe9")).encode("latin-1")),
        ledger={
            GC: (
                QUAR,
                "unreadable CSV: not UTF-8 encoded (line: 3); it looks like Windows-1252 / "
                "Latin-1 text: export it as UTF-8",
            )
        },
    ),
    Case(
        "utf16",
        "UTF-8 only",
        "a UTF-16 guarantors file",
        "quarantined",
        add(GC, guarantors_case().encode("utf-16")),
        ledger={
            GC: (
                QUAR,
                "not the expected format: the file looks like UTF-16 text (a UTF-16 byte order "
                "mark; Excel's 'Unicode text' export); " + CSV_EXPECTS,
            )
        },
    ),
    Case(
        "unterminated_quote",
        "RFC 4180 quoting",
        "a quote opened and never closed",
        "quarantined",
        add(GC, guarantors_case('G12,"Ann,Lee,1980-01-02,IL,,sms,' + TS)),
        ledger={
            GC: (
                QUAR,
                "unreadable CSV: a quoted value opened on record line 3 is never closed "
                "(it would swallow every line after it)",
            )
        },
    ),
    Case(
        "semicolon_separated",
        "comma separated",
        "a guarantors file separated by `;`",
        "quarantined: the reason says what the file looks like and what the contract expects",
        add(GC, guarantors_case().replace(",", ";")),
        ledger={
            GC: (
                QUAR,
                "not the expected format: the file looks like semicolon-separated values (a "
                "spreadsheet saved with a ';' list separator); " + CSV_EXPECTS,
            )
        },
    ),
    Case(
        "unrecognized_file_name",
        "file names: pm/guarantors*.csv, …",
        "`pm/Guarantors_new.CSV`",
        "not loaded; named in the ledger, a warning and IngestReport.unrecognized",
        add("pm/Guarantors_new.CSV", guarantors_case()),
        ledger={
            "pm/Guarantors_new.CSV": (
                "refused",
                "the name matches no landing file kind (pm/guarantors*.csv, "
                "pm/encounters*.csv, pm/patient_transactions*.csv, pm/payment_plans*.csv): "
                "not loaded",
            )
        },
    ),
    # ---- values
    Case(
        "money_currency_sign",
        "money: no currency sign",
        "total_charge `$100.00`",
        "row rejected",
        add(EC, encounters_case(e_row("E12", charge="$100.00"))),
        ledger={EC: (LOADED, None)},
        keys=E_PLUS,
        rejects=row_reject(EC, "total_charge", "invalid money: currency sign"),
    ),
    Case(
        "money_thousands_separator",
        "money: no thousands separator",
        'total_charge `"1,200.00"`',
        "row rejected",
        add(EC, encounters_case(e_row("E12", charge='"1,200.00"'))),
        ledger={EC: (LOADED, None)},
        keys=E_PLUS,
        rejects=row_reject(EC, "total_charge", "invalid money: thousands separator"),
    ),
    Case(
        "money_three_decimals",
        "money: at most 2 decimals",
        "total_charge `10.005`",
        "row rejected",
        add(EC, encounters_case(e_row("E12", charge="10.005"))),
        ledger={EC: (LOADED, None)},
        keys=E_PLUS,
        rejects=row_reject(EC, "total_charge", "invalid money (expected decimal dollars, at most 2 decimals)"),
    ),
    Case(
        "money_decimal_comma",
        "money: `.` separator",
        "total_charge `10,50` (quoted)",
        "row rejected",
        add(EC, encounters_case(e_row("E12", charge='"10,50"'))),
        ledger={EC: (LOADED, None)},
        keys=E_PLUS,
        rejects=row_reject(EC, "total_charge", "invalid money: thousands separator"),
    ),
    Case(
        "money_not_a_number",
        "money is decimal dollars",
        "total_charge `ten`",
        "row rejected",
        add(EC, encounters_case(e_row("E12", charge="ten"))),
        ledger={EC: (LOADED, None)},
        keys=E_PLUS,
        rejects=row_reject(EC, "total_charge", "invalid money (expected decimal dollars, at most 2 decimals)"),
    ),
    Case(
        "money_negative",
        "total_charge ≥ 0",
        "total_charge `-5.00`",
        "row rejected",
        add(EC, encounters_case(e_row("E12", charge="-5.00"))),
        ledger={EC: (LOADED, None)},
        keys=E_PLUS,
        rejects=row_reject(EC, "total_charge", "negative amount not allowed"),
    ),
    Case(
        "money_zero_payment",
        "patient transaction amount > 0",
        "payment of `0`",
        "row rejected",
        add(TC, transactions_case(t_row("T12", amount="0"))),
        ledger={TC: (LOADED, None)},
        keys=T_PLUS,
        rejects=row_reject(TC, "amount", "amount must be greater than 0"),
    ),
    Case(
        "date_impossible",
        "dates YYYY-MM-DD",
        "service_date `2026-13-45`",
        "row rejected",
        add(EC, encounters_case(e_row("E12", day="2026-13-45"))),
        ledger={EC: (LOADED, None)},
        keys=E_PLUS,
        rejects=row_reject(EC, "service_date", "invalid date (expected YYYY-MM-DD)"),
    ),
    Case(
        "date_us_format",
        "dates YYYY-MM-DD",
        "service_date `03/01/2026`",
        "row rejected",
        add(EC, encounters_case(e_row("E12", day="03/01/2026"))),
        ledger={EC: (LOADED, None)},
        keys=E_PLUS,
        rejects=row_reject(EC, "service_date", "invalid date (expected YYYY-MM-DD)"),
    ),
    Case(
        "date_in_future",
        "service_date not in the future",
        "service_date `2099-01-01`",
        "row rejected",
        add(EC, encounters_case(e_row("E12", day="2099-01-01"))),
        ledger={EC: (LOADED, None)},
        keys=E_PLUS,
        rejects=row_reject(EC, "service_date", "date in the future"),
    ),
    Case(
        "date_of_birth_invalid",
        "a wrong type in an optional column is a row error",
        "date_of_birth `02/01/1980`",
        "row rejected",
        add(GC, guarantors_case(g_row("G12", dob="02/01/1980"))),
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
        rejects=row_reject(GC, "date_of_birth", "invalid date (expected YYYY-MM-DD)"),
    ),
    Case(
        "timestamp_invalid",
        "timestamps ISO 8601",
        "updated_at `yesterday`",
        "row rejected",
        add(GC, guarantors_case(g_row("G12", ts="yesterday"))),
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
        rejects=row_reject(GC, "updated_at", "invalid timestamp (expected ISO 8601)"),
    ),
    Case(
        "timestamp_without_offset",
        "a timestamp without offset is read in the clinic's time zone",
        "updated_at `2026-07-01T08:00:00` (clinic: America/Chicago)",
        "loads as 13:00 UTC",
        add(GC, guarantors_case(g_row("G12", ts="2026-07-01T08:00:00"))),
        ledger={GC: (LOADED, None)},
        keys={"guarantors": {"G1", "G2", "G10", "G11", "G12"}},
        values={"SELECT updated_at::VARCHAR FROM raw.guarantors WHERE guarantor_id = 'G12'": "2026-07-01 13:00:00"},
    ),
    Case(
        "timestamp_local_date",
        "a date taken from a timestamp is the clinic-local date",
        "sms_consent_at `2026-01-02T03:00:00Z` (21:00 on Jan 1 in Chicago)",
        "sms_consent_date 2026-01-01",
        add(GC, lines(G_HEADER + ",sms_consent_at", g_row("G12") + ",2026-01-02T03:00:00Z")),
        ledger={GC: (LOADED, None)},
        keys={"guarantors": {"G1", "G2", "G12"}},
        values={"SELECT sms_consent_date::VARCHAR FROM raw.guarantors WHERE guarantor_id = 'G12'": "2026-01-01"},
    ),
    Case(
        "phone_email_malformed",
        "phone: US 10-digit or E.164 (contract silent on a bad one)",
        "phone `call me`, email `ann(at)example`",
        "the guarantor loads as written; outreach holds the channel "
        "downstream (int_touch_guardrails: invalid_phone / invalid_email), so no account is lost",
        add(GC, lines(G_HEADER + ",phone,email", g_row("G12") + ",call me,ann(at)example")),
        ledger={GC: (LOADED, None)},
        keys={"guarantors": {"G1", "G2", "G12"}},
        values={
            "SELECT phone || '/' || email FROM raw.guarantors WHERE guarantor_id = 'G12'": "call me/ann(at)example"
        },
    ),
    Case(
        "enum_unknown_required",
        "unknown enum (required column)",
        "type `gift`",
        "row rejected",
        add(TC, transactions_case(t_row("T12", typ="gift"))),
        ledger={TC: (LOADED, None)},
        keys=T_PLUS,
        rejects=row_reject(TC, "type", "unknown enum value"),
    ),
    Case(
        "enum_unknown_optional",
        "unknown enum in any column, required or not",
        "method `bitcoin`",
        "row rejected",
        add(TC, transactions_case(t_row("T12", method="bitcoin"))),
        ledger={TC: (LOADED, None)},
        keys=T_PLUS,
        rejects=row_reject(TC, "method", "unknown enum value"),
    ),
    Case(
        "enum_state",
        "state: 2-letter US code",
        "state `ZZ`",
        "row rejected",
        add(GC, guarantors_case(g_row("G12", state="ZZ"))),
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
        rejects=row_reject(GC, "state", "unknown enum value"),
    ),
    Case(
        "enum_case_insensitive",
        "(contract silent) enum values in capitals",
        "state `il`, channel `SMS`",
        "loads as `IL`, `sms`",
        add(GC, guarantors_case(g_row("G12", state="il", channel="SMS"))),
        ledger={GC: (LOADED, None)},
        keys={"guarantors": {"G1", "G2", "G10", "G11", "G12"}},
        values={"SELECT state || preferred_channel FROM raw.guarantors WHERE guarantor_id = 'G12'": "ILsms"},
    ),
    Case(
        "timezone_unknown",
        "timezone: IANA name",
        "timezone `Mars/Olympus`",
        "row rejected",
        add(GC, guarantors_case(g_row("G12", tz="Mars/Olympus"))),
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
        rejects=row_reject(GC, "timezone", "unknown time zone (expected an IANA name)"),
    ),
    Case(
        "plan_bad_bool_int_enum",
        "payment_plans: card_on_file true/false, installment_count, frequency",
        "card_on_file `yes`, installment_count `two`, frequency `daily`",
        "row rejected, one reject per column",
        add(
            "pm/payment_plans_case.csv",
            "plan_id,guarantor_id,created_at,installment_count,frequency,card_on_file,updated_at\n"
            f"PL1,G1,2026-02-01,6,monthly,true,{TS}\nPL2,G1,2026-02-01,two,daily,yes,{TS}\n",
        ),
        ledger={"pm/payment_plans_case.csv": (LOADED, None)},
        keys={"payment_plans": {"PL1"}},
        rejects=[
            ("pm/payment_plans_case.csv", 3, "card_on_file", "invalid boolean (expected true or false)"),
            ("pm/payment_plans_case.csv", 3, "frequency", "unknown enum value"),
            ("pm/payment_plans_case.csv", 3, "installment_count", "invalid whole number"),
        ],
    ),
    Case(
        "hardship_bad_pct",
        "discount_pct is a percentage",
        "discount_pct `150`",
        "row rejected",
        add(
            "ops/hardship_case.csv",
            "application_id,guarantor_id,submitted_at,outcome,discount_pct,updated_at\n"
            f"H1,G1,2026-02-01,approved,25,{TS}\nH2,G2,2026-02-01,approved,150,{TS}\n",
        ),
        ledger={"ops/hardship_case.csv": (LOADED, None)},
        keys={"hardship": {"H1"}},
        rejects=[("ops/hardship_case.csv", 3, "discount_pct", "invalid percentage (0-100)")],
    ),
    Case(
        "key_missing",
        "key value missing",
        "a guarantors row with no guarantor_id",
        "row rejected",
        add(GC, guarantors_case(g_row(""))),
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
        rejects=row_reject(GC, "guarantor_id", "missing required value"),
    ),
    Case(
        "required_value_missing",
        "required value missing",
        "last_name empty",
        "row rejected",
        add(GC, guarantors_case(g_row("G12", last=""))),
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
        rejects=row_reject(GC, "last_name", "missing required value"),
    ),
    Case(
        "required_value_blank",
        "required value missing (only spaces)",
        "last_name `   `",
        "row rejected",
        add(GC, guarantors_case(g_row("G12", last="   "))),
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
        rejects=row_reject(GC, "last_name", "missing required value"),
    ),
    Case(
        "orphan_guarantor",
        "a reference to an unknown guarantor",
        "encounter of guarantor `G404`",
        "row rejected",
        add(EC, encounters_case(e_row("E12", gid="G404"))),
        ledger={EC: (LOADED, None)},
        keys=E_PLUS,
        rejects=row_reject(EC, "guarantor_id", "orphan: unknown guarantor"),
    ),
    Case(
        "orphan_encounter",
        "a reference to an unknown encounter",
        "payment on encounter `E404`",
        "row rejected",
        add(TC, transactions_case(t_row("T12", eid="E404"))),
        ledger={TC: (LOADED, None)},
        keys=T_PLUS,
        rejects=row_reject(TC, "encounter_id", "orphan: unknown encounter"),
    ),
    Case(
        "orphan_in_ops_file",
        "a reference to an unknown guarantor (ops files too)",
        "contact_log row of guarantor `G404`",
        "row rejected",
        add(
            "ops/contact_log_case.csv",
            f"contact_id,guarantor_id,occurred_at,channel,updated_at\nC1,G1,{TS},call,{TS}\nC2,G404,{TS},call,{TS}\n",
        ),
        ledger={"ops/contact_log_case.csv": (LOADED, None)},
        keys={"contact_log": {"C1"}},
        rejects=[("ops/contact_log_case.csv", 3, "guarantor_id", "orphan: unknown guarantor")],
    ),
    # ---- keys, versions, re-sends
    Case(
        "duplicate_key_in_file",
        "a repeated key: the latest updated_at wins",
        "G10 twice in one file, the second one older",
        "one G10, the newer version",
        add(GC, guarantors_case(g_row("G10", last="Older", ts="2025-01-01T00:00:00Z"))),
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
        values={"SELECT last_name FROM raw.guarantors WHERE guarantor_id = 'G10'": "Lee"},
    ),
    Case(
        "duplicate_key_across_files",
        "ties on updated_at go to the file later in name order",
        "G1 again in a later file, same updated_at",
        "the later file's version wins",
        add("pm/guarantors_b.csv", lines(G_HEADER, g_row("G1", last="FromB"))),
        ledger={"pm/guarantors_b.csv": (LOADED, None)},
        values={"SELECT last_name FROM raw.guarantors WHERE guarantor_id = 'G1'": "FromB"},
    ),
    Case(
        "older_version_later_file",
        "the latest updated_at wins (else the later file)",
        "G1 in a later file with an older updated_at",
        "the base version stays",
        add("pm/guarantors_b.csv", lines(G_HEADER, g_row("G1", last="Stale", ts="2025-01-01T00:00:00Z"))),
        ledger={"pm/guarantors_b.csv": (LOADED, None)},
        values={"SELECT last_name FROM raw.guarantors WHERE guarantor_id = 'G1'": "Lee"},
    ),
    Case(
        "bad_row_keeps_older_version",
        "an older valid version of the same key stays",
        "a newer G1 with state `ZZ`",
        "row rejected; G1 keeps its valid version",
        add("pm/guarantors_b.csv", lines(G_HEADER, g_row("G1", last="New", state="ZZ", ts="2026-06-01T00:00:00Z"))),
        ledger={"pm/guarantors_b.csv": (LOADED, None)},
        rejects=[("pm/guarantors_b.csv", 2, "state", "unknown enum value")],
        values={"SELECT last_name || state FROM raw.guarantors WHERE guarantor_id = 'G1'": "LeeIL"},
    ),
    Case(
        "same_file_twice",
        "the same file twice (same SHA-256) is loaded once",
        "the base guarantors file again under another name",
        "recorded as duplicate, loaded once",
        lambda root: write(root, "pm/guarantors_copy.csv", (root / "pm/guarantors_a.csv").read_bytes()),
        ledger={"pm/guarantors_copy.csv": (DUP, "same content (SHA-256) as pm/guarantors_a.csv: loaded once")},
    ),
    Case(
        "same_file_next_day",
        "the same file twice is loaded once (also on a later run)",
        "the base 835 re-sent under a new name the next day",
        "duplicate; no claim twice",
        add("era/resent.835", BASE_835),
        first=lambda root: None,
        ledger={"era/resent.835": (DUP, "same content (SHA-256) as era/base.835: loaded once")},
        values={"SELECT count(*) FROM raw.remittance_claims": 1},
    ),
    Case(
        "file_touched_unchanged",
        "a file is identified by its bytes",
        "the base guarantors file re-saved with the same bytes (new mtime)",
        "nothing loaded again",
        _touch("pm/guarantors_a.csv"),
        first=lambda root: None,
        values={"SELECT count(*) FROM raw.file_ledger": 4, "SELECT count(*) FROM raw.guarantors": 2},
    ),
    Case(
        "file_changed_after_load",
        "a file that changes after it was loaded",
        "guarantors_a.csv rewritten after the first run",
        "new content loaded as a new version, with a warning",
        _touch(
            "pm/guarantors_a.csv",
            lines(G_HEADER, g_row("G1", last="Changed", ts="2026-06-01T00:00:00Z"), g_row("G2", "Ray", "TX")),
        ),
        first=lambda root: None,
        ledger={"pm/guarantors_a.csv": (WARN, None)},
        warnings={
            "pm/guarantors_a.csv": "file changed after it was loaded: the new content was loaded as a new version"
        },
        values={"SELECT last_name FROM raw.guarantors WHERE guarantor_id = 'G1'": "Changed"},
    ),
    Case(
        "empty_landing",
        "an empty landing folder is a valid, quiet day",
        "no files at all",
        "nothing loaded, no error",
        lambda root: root.mkdir(parents=True, exist_ok=True),
        no_base=True,
        keys={t: set() for t in BASE_KEYS},
    ),
    # ---- 835s
    Case(
        "truncated_835",
        "an 835 cut short (ST without SE) is quarantined",
        "an 835 cut after its CLP",
        "quarantined; the base 835 loads",
        add("era/cut.835", _835(2, claim("E2")).split("NM1*QC")[0]),
        ledger={"era/cut.835": (QUAR, "cut short: the file ends inside transaction ST 0002 (no SE)")},
    ),
    Case(
        "isa_without_iea",
        "an ISA without its IEA is quarantined",
        "an 835 without its IEA",
        "quarantined",
        add("era/no_iea.835", _835(2, claim("E2")).rsplit("IEA", 1)[0]),
        ledger={"era/no_iea.835": (QUAR, "cut short: interchange ISA 000000002 has no IEA")},
    ),
    Case(
        "empty_835",
        "unreadable 835",
        "a 0-byte file in era/",
        "quarantined",
        add("era/empty.835", b""),
        ledger={"era/empty.835": (QUAR, "unreadable: the file is empty")},
    ),
    Case(
        "not_x12",
        "unreadable 835",
        "a text file in era/",
        "quarantined",
        add("era/readme.txt", "please call me\n"),
        ledger={"era/readme.txt": (QUAR, "unreadable: no ISA or ST segment found (not an X12 file)")},
    ),
    Case(
        "not_an_835",
        "an 835 (not another X12 transaction)",
        "an 837 in era/",
        "quarantined",
        add("era/claim.837", _835(2, claim("E2")).replace("ST*835", "ST*837")),
        ledger={"era/claim.837": (QUAR, "not an 835: the transaction set is ST01 '837'")},
    ),
    Case(
        "unbalanced_envelope",
        "a transaction whose money does not balance is held; the file's other transactions load",
        "two transactions, the second with BPR02 41.00 ≠ Σ CLP04 40.00",
        "second held with the reason; first loads",
        add("era/two.835", TWO_TX),
        ledger={"era/two.835": (WARN, None)},
        warnings={"era/two.835": "transaction 0003 held: unbalanced: BPR02 41.00 != sum CLP04 40.00 - sum PLB 0.00"},
        keys={"remittance_claims": {"E1"}},
        values={
            "SELECT count(*) FROM raw.remittance_claims WHERE file_name = 'era/two.835'": 1,
            "SELECT hold_reason FROM raw.remittance_transactions WHERE st_control_number = '0003'": (
                "unbalanced: BPR02 41.00 != sum CLP04 40.00 - sum PLB 0.00"
            ),
        },
    ),
    Case(
        "unknown_clp01",
        "a CLP01 matching no encounter is kept as an unmatched remittance",
        "a claim for `  NOPE-1  `",
        "loads (trimmed) as an unmatched remittance",
        add("era/unknown.835", _835(2, claim("  NOPE-1  "))),
        ledger={"era/unknown.835": (LOADED, None)},
        keys={"remittance_claims": {"E1", "NOPE-1"}},
    ),
    Case(
        "wrong_se_count",
        "a wrong SE count loads with a warning",
        "SE01 off by 5",
        "loads, warning",
        add("era/se.835", _835(2, claim("E2")).replace("SE*", "SE*9", 1)),
        ledger={"era/se.835": (WARN, None)},
        warnings={"era/se.835": "SE01 segment count"},
        keys={"remittance_claims": {"E1", "E2"}},
    ),
    Case(
        "control_number_mismatch",
        "mismatched control numbers load with a warning",
        "IEA02 ≠ ISA13",
        "loads, warning",
        add("era/ctl.835", _835(2, claim("E2")).replace("IEA*1*000000002", "IEA*1*000000099")),
        ledger={"era/ctl.835": (WARN, None)},
        warnings={"era/ctl.835": "IEA02 control number '000000099'"},
        keys={"remittance_claims": {"E1", "E2"}},
    ),
    Case(
        "unknown_segment",
        "an unknown segment loads with a warning",
        "a `ZZZ*1` segment",
        "loads, warning",
        add("era/zzz.835", _835(2, claim("E2")).replace("LX*1~", "LX*1~\nZZZ*1~")),
        ledger={"era/zzz.835": (WARN, None)},
        warnings={"era/zzz.835": "unknown segment id 'ZZZ'"},
        keys={"remittance_claims": {"E1", "E2"}},
    ),
    Case(
        "version_4010",
        "the older 4010 version loads with a warning",
        "GS08/ST03 `004010X091A1`",
        "loads, warning",
        add("era/v4010.835", _835(2, claim("E2")).replace("005010X221A1", "004010X091A1")),
        ledger={"era/v4010.835": (WARN, None)},
        warnings={"era/v4010.835": "older X12 version 004010X091A1"},
        keys={"remittance_claims": {"E1", "E2"}},
    ),
    Case(
        "bpr16_missing",
        "BPR16 missing: GS04 stands in, with a warning",
        "BPR without its date",
        "loads dated by GS04, warning",
        add("era/nobpr16.835", _835(2, claim("E2")).replace("*DA*98765*20260902", "*DA*98765*")),
        ledger={"era/nobpr16.835": (WARN, None)},
        warnings={"era/nobpr16.835": "GS04 20260902 used as the payment date"},
        keys={"remittance_claims": {"E1", "E2"}},
        values={
            "SELECT payment_date::VARCHAR FROM raw.remittance_claims WHERE patient_control_number = 'E2'": "2026-09-02"
        },
    ),
    Case(
        "bpr16_invalid",
        "BPR16 not a valid date: GS04 stands in, with a warning",
        "BPR16 `20261340`",
        "loads dated by GS04, warning",
        add("era/badbpr16.835", _835(2, claim("E2")).replace("*DA*98765*20260902", "*DA*98765*20261340")),
        ledger={"era/badbpr16.835": (WARN, None)},
        warnings={"era/badbpr16.835": "BPR16 '20261340' is not a valid CCYYMMDD date; GS04 20260902 used"},
        keys={"remittance_claims": {"E1", "E2"}},
    ),
    Case(
        "plb_balances",
        "a positive PLB amount reduces the payment: BPR02 = Σ CLP04 − Σ PLB",
        "PLB of 5.00 and BPR02 75.00 for a claim paid 80.00",
        "loads with its provider adjustment",
        add("era/plb.835", _with_plb(_835(2, claim("E2")), "5.00", "75.00")),
        ledger={"era/plb.835": (LOADED, None)},
        keys={"remittance_claims": {"E1", "E2"}},
        values={"SELECT sum(amount) FROM raw.remittance_provider_adjustments": 5.0},
    ),
    Case(
        "plb_unbalanced",
        "a transaction whose money does not balance (PLB forgotten in BPR02) is held",
        "PLB of 5.00 but BPR02 still 80.00",
        "held with the reason; no claim loads",
        add("era/plb_bad.835", _with_plb(_835(2, claim("E2")), "5.00", "80.00")),
        ledger={"era/plb_bad.835": (WARN, None)},
        warnings={
            "era/plb_bad.835": "transaction 0002 held: unbalanced: BPR02 80.00 != sum CLP04 80.00 - sum PLB 5.00"
        },
        values={"SELECT count(*) FROM raw.remittance_provider_adjustments": 0},
    ),
    Case(
        "binary_in_era",
        "unreadable 835",
        "a PDF dropped into era/",
        "quarantined",
        add("era/scan.pdf", b"%PDF-1.4\n" + bytes(range(256)) * 4),
        ledger={
            "era/scan.pdf": (
                QUAR,
                "not the expected format: the file looks like a PDF document; the contract "
                "expects an X12 835 text file: segments ISA/GS/ST…SE/GE/IEA with upper-case "
                "ids (docs/landing.md)",
            )
        },
    ),
    Case(
        "non_utf8_835",
        "real files are messy",
        "a Latin-1 patient name in NM1",
        "loads",
        add("era/latin1.835", _835(2, claim("E2")).replace("PATIENT*TEST", "PATIENT*JOS\xc9").encode("latin-1")),
        ledger={"era/latin1.835": (LOADED, None)},
        keys={"remittance_claims": {"E1", "E2"}},
    ),
    Case(
        "line_breaks_between_segments",
        "line breaks between segments are tolerated",
        "CRLF after every segment terminator",
        "loads",
        add("era/crlf.835", _835(2, claim("E2")).replace("~\n", "~\r\n")),
        ledger={"era/crlf.835": (LOADED, None)},
        keys={"remittance_claims": {"E1", "E2"}},
    ),
    # ---- SendGrid events
    Case(
        "events_not_json",
        "events/sendgrid/*.json are JSON arrays",
        "a truncated JSON file",
        "quarantined",
        add("events/sendgrid/b1.json", '[{"event": "delivered"'),
        ledger={
            "events/sendgrid/b1.json": (QUAR, "unreadable JSON: Expecting ',' delimiter: line 1 column 23 (char 22)")
        },
    ),
    Case(
        "events_not_array",
        "events/sendgrid/*.json are JSON arrays",
        "a JSON number",
        "quarantined",
        add("events/sendgrid/b1.json", "42"),
        ledger={"events/sendgrid/b1.json": (QUAR, "expected a JSON array of events")},
    ),
    Case(
        "events_unknown_type",
        "the listed event types",
        "one event `teleported` beside a `delivered`",
        "the good event loads; the bad one is a reject with its reason, and a warning",
        add(
            "events/sendgrid/b1.json",
            json.dumps(
                [
                    {"event": "delivered", "sg_event_id": "ev1", "timestamp": 1763650000, "touch_id": "t1"},
                    {"event": "teleported", "sg_event_id": "ev2", "timestamp": 1763650000},
                ]
            ),
        ),
        ledger={"events/sendgrid/b1.json": (WARN, None)},
        rejects=[("events/sendgrid/b1.json", 2, "event", "unknown event type")],
        warnings={"events/sendgrid/b1.json": "1 event(s) refused (raw.load_rejects has each one's reason)"},
        keys={"sendgrid_events": {"ev1"}},
    ),
]


# ------------------------------------------------------------------------------- the checks
def _keys(con, table: str) -> set:
    return {r[0] for r in con.execute(f"SELECT {KEY_OF[table]} FROM raw.{table}").fetchall()}


def _records(path: Path) -> int | None:
    """Data records of a CSV as Python's csv module counts them (None: not UTF-8)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    csv.field_size_limit(sys.maxsize)
    rows = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
    return max(len(rows) - 1, 0)


def assert_nothing_lost(con, root: Path) -> int:
    """Every record of every loaded CSV is loaded or rejected; returns the records checked."""
    checked = 0
    for name, status, read, loaded, rejected in con.execute(
        "SELECT file_name, status, rows_read, rows_loaded, rows_rejected FROM raw.file_ledger "
        "WHERE kind NOT IN ('era', 'sendgrid_events')"
    ).fetchall():
        if not status.startswith("loaded"):
            continue  # refused whole: still in the landing zone, with its reason
        records = _records(root / name)
        assert read == records, f"{name}: {read} rows read, {records} records in the file"
        assert read == loaded + rejected, name
        (lines_rejected,) = con.execute(
            "SELECT count(DISTINCT line_number) FROM raw.load_rejects WHERE file_name = ?", [name]
        ).fetchone()
        assert lines_rejected == rejected, name
        checked += records
    return checked


def latest_ledger(con) -> dict[str, tuple]:
    """file name -> (status, reason) of its latest ledger row."""
    return {
        n: (s, r)
        for n, s, r in con.execute(
            "SELECT file_name, status, reason FROM raw.file_ledger "
            "QUALIFY row_number() OVER (PARTITION BY file_name ORDER BY loaded_at DESC) = 1"
        ).fetchall()
    }


def run_case(case: Case, root: Path, con):
    """Build the base zone (unless `no_base`), run `first`, change the zone, run the real ingest."""
    if not case.no_base:
        base(root)
    if case.first is not None:
        case.first(root)
        run(con, root)
    case.mutate(root)
    return run(con, root)


def assert_case(case: Case, con, report, caplog) -> None:
    """The exact outcome of a case: ledger, rejects, keys, values, warnings, refusals logged."""
    assert latest_ledger(con) == ({} if case.no_base else dict(BASE_LEDGER)) | case.ledger
    assert rejects(con) == sorted(case.rejects)
    for table, keys in (BASE_KEYS | case.keys).items():
        assert _keys(con, table) == keys, table
    for sql, value in case.values.items():
        got = con.execute(sql).fetchone()[0]
        assert (float(got) if isinstance(value, float) else got) == value, sql
    for name, text in case.warnings.items():
        (warnings,) = con.execute(
            "SELECT warnings FROM raw.file_ledger WHERE file_name = ? ORDER BY loaded_at DESC", [name]
        ).fetchone()
        assert text in (warnings or ""), (name, warnings)
    for o in report.outcomes:  # every file not loaded is named in the log with its reason
        if o.status in ("quarantined", "rejected_file", "refused"):
            assert f"{o.status} {o.file.name}: {o.reason}" in caplog.text


@pytest.mark.parametrize("case", CATALOGUE, ids=lambda c: c.id)
def test_bad_input(case: Case, tmp_path, caplog):
    con = duckdb.connect()  # in memory: the catalogue is about rules, not files on disk
    try:
        report = run_case(case, tmp_path / "landing", con)
        assert_case(case, con, report, caplog)
        if case.id == "unrecognized_file_name":
            assert report.unrecognized == ["pm/Guarantors_new.CSV"]
            assert "not loaded: pm/Guarantors_new.CSV matches no landing file kind" in caplog.text
        else:
            assert report.unrecognized == []
        assert_nothing_lost(con, tmp_path / "landing")
    finally:
        con.close()


def test_every_landing_rule_has_a_case():
    """The catalogue covers the rules the issue names (and each id is unique)."""
    ids = [c.id for c in CATALOGUE]
    assert len(ids) == len(set(ids))
    for needed in (
        "missing_required_column",
        "money_currency_sign",
        "date_impossible",
        "enum_unknown_optional",
        "duplicate_key_in_file",
        "orphan_guarantor",
        "bom",
        "crlf",
        "huge_field",
        "empty_file",
        "non_utf8",
        "truncated_835",
        "unbalanced_envelope",
        "unknown_clp01",
        "same_file_twice",
        "file_changed_after_load",
    ):
        assert needed in ids


def catalogue_table(cases: list[Case], lead: dict[str, Callable[[Case], str]] | None = None) -> str:
    """Cases as a Markdown table for docs/reliability.md; `lead`: extra first columns."""
    lead = lead or {}
    out = [
        "| "
        + " | ".join([*lead, "case", "contract rule broken", "change", "outcome", "exact ledger / reject reason"])
        + " |",
        "|" + "---|" * (len(lead) + 5),
    ]
    for c in cases:
        exact = [f"{s}: “{r}”" if r else s for f, (s, r) in c.ledger.items() if f not in BASE_LEDGER or s != LOADED]
        exact += [f"reject line {line} `{col}`: “{reason}”" for _, line, col, reason in c.rejects]
        exact += [f"warning “{w}”" for w in c.warnings.values()]
        cells = [fn(c) for fn in lead.values()] + [f"`{c.id}`", c.rule, c.change, c.outcome, "; ".join(exact) or "–"]
        out.append("| " + " | ".join(x.replace("|", "\\|").replace("\n", " ") for x in cells) + " |")
    return "\n".join(out)


def catalogue_markdown() -> str:
    """The catalogue as the Markdown table of docs/reliability.md."""
    return catalogue_table(CATALOGUE)


def test_docs_list_every_case():
    doc = (REPO / "docs" / "reliability.md").read_text()
    missing = [c.id for c in CATALOGUE if f"`{c.id}`" not in doc]
    assert not missing, f"docs/reliability.md lacks {missing}; regenerate with catalogue_markdown()"
