"""The second fault catalogue (issue 16): files as real PM systems, spreadsheets, mail vendors and
SendGrid produce them, each family broken in several ways, on the small landing zone of the
first catalogue (tests/reliability/test_bad_input.py), loaded by the real ingest step.

Every case builds the exact bad file, then asserts the exact ledger status and reason of each
file, every (file, line, column, reason) of raw.load_rejects, the keys each raw table holds
(the good rows beside a bad one loaded, nothing else) and, for loaded CSVs, that no record went
missing. Families (docs/reliability.md, "The second catalogue"):

1 checked casts   2 files that cannot or must not be read   4 upserts that lose data
5 SendGrid events 6 formats we recognise but do not take     7 values that would print wrong

Families 3 (files being written), 8 (runs out of order) and 9 (gates that remember) need time,
runs or gates and have their own modules: test_files_being_written.py, test_runs_in_order.py,
test_gates_remember.py.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration.raw.events_loader import NO_RECIPIENT, synthetic_id
from tests.raw.landing_helpers import run, write
from tests.reliability.test_bad_input import (
    BASE_KEYS,
    BASE_LEDGER,
    CSV_EXPECTS,
    E_PLUS,
    EC,
    G_HEADER,
    G_PLUS,
    GC,
    LOADED,
    QUAR,
    REJ,
    T_PLUS,
    TC,
    TS,
    WARN,
    Case,
    _835,
    _keys,
    add,
    assert_case,
    assert_nothing_lost,
    base,
    both,
    catalogue_table,
    claim,
    e_row,
    encounters_case,
    g_row,
    guarantors_case,
    latest_ledger,
    lines,
    row_reject,
    run_case,
    t_row,
    transactions_case,
)
from tests.warehouse.harness import era_835

REPO = Path(__file__).resolve().parents[2]
ERA_EXPECTS = (
    "the contract expects an X12 835 text file: segments ISA/GS/ST…SE/GE/IEA with upper-case ids (docs/landing.md)"
)
EV_EXPECTS = "the contract expects one JSON array of SendGrid events per file ([{…}, {…}], docs/landing.md)"
EV = "events/sendgrid/batch.json"
PC = "pm/payment_plans_case.csv"
PM_NAMES = (
    "the name matches no landing file kind (pm/guarantors*.csv, pm/encounters*.csv, "
    "pm/patient_transactions*.csv, pm/payment_plans*.csv): not loaded"
)
HC = "ops/hardship_case.csv"


def looks(what: str, expects: str = CSV_EXPECTS) -> str:
    return f"not the expected format: the file looks like {what}; {expects}"


@dataclass
class Fault(Case):
    family: int = 0
    lost_check: bool = True  # the CSV record count (a lone ^Z line is not a record)


# ------------------------------------------------------------------------ file builders
def plans(*rows: str) -> str:
    return lines(
        "plan_id,guarantor_id,created_at,total_amount,installment_count,frequency,updated_at",
        f"PL1,G1,2026-02-01,300.00,6,monthly,{TS}",
        *rows,
        f"PL3,G2,2026-02-01,90.00,3,monthly,{TS}",
    )


def hardship(*rows: str) -> str:
    return lines(
        "application_id,guarantor_id,submitted_at,outcome,discount_pct,updated_at",
        f"H1,G1,2026-02-01,approved,25,{TS}",
        *rows,
    )


def zipped(name: str, data: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, d in (extra or {}).items():
            z.writestr(n, d)
        z.writestr(name, data)
    return buf.getvalue()


def events(*evs: dict) -> str:
    return json.dumps(list(evs))


def unsub(touch: str, **kw) -> dict:
    return {
        "event": "unsubscribe",
        "email": f"{touch}@example.org",
        "touch_id": touch,
        "guarantor_id": "G1",
        "sg_event_id": f"ev-{touch}",
        **kw,
    }


def arrived(rel: str, when: datetime) -> Callable[[Path], None]:
    def go(root: Path) -> None:
        t = when.replace(tzinfo=UTC).timestamp()
        os.utime(root / rel, (t, t))

    return go


def link(rel: str, target: Callable[[Path], Path]) -> Callable[[Path], None]:
    def go(root: Path) -> None:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.symlink_to(target(root))

    return go


def outside(root: Path) -> Path:
    """A valid guarantors file outside the landing folder (next to it)."""
    p = root.parent / "elsewhere" / "guarantors.csv"
    write(p.parent, p.name, lines(G_HEADER, g_row("G77")))
    return p


def inside(root: Path) -> Path:
    p = root / "archive" / "resent.835"
    write(p.parent, p.name, _835(5, claim("E2")))
    return p


def folder(rel: str) -> Callable[[Path], None]:
    def go(root: Path) -> None:
        write(root / rel, "guarantors.csv", lines(G_HEADER, g_row("G78")))

    return go


def fifo(rel: str) -> Callable[[Path], None]:
    def go(root: Path) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(root / rel)

    return go


FULL_G = (
    "guarantor_id,first_name,last_name,address_line1,city,state,postal_code,phone,email,sms_consent_at,"
    "preferred_channel,updated_at"
)
FULL_G1 = (
    "G1,Ann,Lee,12 Main St,Springfield,IL,62701,3125550101,ann@example.org,2026-01-05T10:00:00Z,sms,"
    "2026-02-01T00:00:00Z"
)
FULL = "pm/guarantors_full.csv"
DELTA = "pm/guarantors_delta.csv"
KEPT = (
    "SELECT concat_ws('|', first_name, address_line1, city, state, postal_code, phone, email, "
    "CAST(sms_consent_at AS VARCHAR), CAST(sms_consent_date AS VARCHAR), preferred_channel) "
    "FROM raw.guarantors WHERE guarantor_id = 'G1'"
)
SPRING = "12 Main St|Springfield|IL|62701"


def now_plus(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def future_row(minutes: int) -> Callable[[Path], None]:
    """G12 updated `minutes` after now (computed when the case runs)."""
    return lambda root: write(root, GC, guarantors_case(g_row("G12", ts=now_plus(minutes))))


OUT_OF_RANGE = "amount out of range (at most 10 digits before the decimal point)"
BAD_MONEY = "invalid money (expected decimal dollars, at most 2 decimals)"
CONTROL = "control character in value (NUL, ^Z or another non-printing character)"
FUTURE = "updated_at is in the future (later than the run's start + 15 minutes)"
ALL_THREE_TX = _835(2, claim("E2")) + _835(3, claim("E1", "80.005", "19.995")).replace("BPR*I*80.00", "BPR*I*80.005")
ARRIVAL = datetime(2026, 11, 19, 23, 30)

FAULTS: list[Fault] = [
    # ================================================================ 1. checked casts
    Fault(
        "int_20_digits",
        "a value that does not fit its type is a row reject",
        "installment_count `12345678901234567890` (DuckDB INTEGER overflow)",
        "row rejected; the others load",
        add(PC, plans("PL2,G1,2026-02-01,300.00,12345678901234567890,monthly," + TS)),
        family=1,
        ledger={PC: (LOADED, None)},
        keys={"payment_plans": {"PL1", "PL3"}},
        rejects=[(PC, 3, "installment_count", "whole number out of range")],
    ),
    Fault(
        "int_negative_overflow",
        "a value that does not fit its type is a row reject",
        "installment_count `-99999999999`",
        "row rejected",
        add(PC, plans("PL2,G1,2026-02-01,300.00,-99999999999,monthly," + TS)),
        family=1,
        ledger={PC: (LOADED, None)},
        keys={"payment_plans": {"PL1", "PL3"}},
        rejects=[(PC, 3, "installment_count", "whole number out of range")],
    ),
    Fault(
        "money_20_digits",
        "money fits DECIMAL(18,2) and the contract's limit",
        "total_charge `12345678901234567890`",
        "row rejected",
        add(EC, encounters_case(e_row("E12", charge="12345678901234567890"))),
        family=1,
        ledger={EC: (LOADED, None)},
        keys=E_PLUS,
        rejects=row_reject(EC, "total_charge", OUT_OF_RANGE),
    ),
    Fault(
        "money_11_digits",
        "money: at most 10 digits before the point",
        "total_charge `99999999999.99`",
        "row rejected",
        add(EC, encounters_case(e_row("E12", charge="99999999999.99"))),
        family=1,
        ledger={EC: (LOADED, None)},
        keys=E_PLUS,
        rejects=row_reject(EC, "total_charge", OUT_OF_RANGE),
    ),
    Fault(
        "money_limit_fits",
        "money: 10 digits before the point fit",
        "total_charge `9999999999.99`",
        "loads",
        add(EC, encounters_case(e_row("E12", charge="9999999999.99"))),
        family=1,
        ledger={EC: (LOADED, None)},
        keys={"encounters": {"E1", "E2", "E10", "E11", "E12"}},
        values={"SELECT CAST(total_charge AS VARCHAR) FROM raw.encounters WHERE encounter_id = 'E12'": "9999999999.99"},
    ),
    Fault(
        "money_nan",
        "money is decimal dollars (NaN is not)",
        "total_charge `NaN`",
        "row rejected",
        add(EC, encounters_case(e_row("E12", charge="NaN"))),
        family=1,
        ledger={EC: (LOADED, None)},
        keys=E_PLUS,
        rejects=row_reject(EC, "total_charge", BAD_MONEY),
    ),
    Fault(
        "money_infinity",
        "money is decimal dollars (Infinity is not)",
        "amount `Infinity`, amount `-inf`",
        "rows rejected",
        add(TC, transactions_case(t_row("T12", amount="Infinity"), t_row("T13", amount="-inf"))),
        family=1,
        ledger={TC: (LOADED, None)},
        keys=T_PLUS,
        rejects=[(TC, 3, "amount", BAD_MONEY), (TC, 4, "amount", BAD_MONEY)],
    ),
    Fault(
        "money_exponent",
        "money is decimal dollars",
        "total_charge `1e3`",
        "row rejected",
        add(EC, encounters_case(e_row("E12", charge="1e3"))),
        family=1,
        ledger={EC: (LOADED, None)},
        keys=E_PLUS,
        rejects=row_reject(EC, "total_charge", BAD_MONEY),
    ),
    Fault(
        "pct_nan_and_huge",
        "discount_pct is a percentage",
        "discount_pct `NaN`, then a 400-digit number",
        "rows rejected",
        add(HC, hardship(f"H2,G2,2026-02-01,approved,NaN,{TS}", f"H3,G2,2026-02-01,approved,{'9' * 400},{TS}")),
        family=1,
        ledger={HC: (LOADED, None)},
        keys={"hardship": {"H1"}},
        rejects=[
            (HC, 3, "discount_pct", "invalid percentage (0-100)"),
            (HC, 4, "discount_pct", "invalid percentage (0-100)"),
        ],
    ),
    Fault(
        "date_year_zero",
        "dates the warehouse and Python can hold",
        "service_date `0000-01-01`",
        "row rejected",
        add(EC, encounters_case(e_row("E12", day="0000-01-01"))),
        family=1,
        ledger={EC: (LOADED, None)},
        keys=E_PLUS,
        rejects=row_reject(EC, "service_date", "date out of range (1800-01-01 to 9999-12-31)"),
    ),
    Fault(
        "date_before_1800",
        "dates from 1800-01-01",
        "date_of_birth `1753-01-01` (a SQL Server placeholder)",
        "row rejected",
        add(GC, guarantors_case(g_row("G12", dob="1753-01-01"))),
        family=1,
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
        rejects=row_reject(GC, "date_of_birth", "date out of range (1800-01-01 to 9999-12-31)"),
    ),
    Fault(
        "date_excel_zero_loads",
        "placeholders after 1800 still load",
        "date_of_birth `1899-12-30` (Excel's zero)",
        "loads",
        add(GC, guarantors_case(g_row("G12", dob="1899-12-30"))),
        family=1,
        ledger={GC: (LOADED, None)},
        keys={"guarantors": {"G1", "G2", "G10", "G11", "G12"}},
    ),
    Fault(
        "timestamp_past_9999",
        "timestamps the warehouse can hold",
        "sms_consent_at `9999-12-31T23:00:00-05:00` (10000-01-01 in UTC), `0001-01-01T00:00:00+05:00`",
        "rows rejected",
        add(
            GC,
            lines(
                G_HEADER + ",sms_consent_at",
                g_row("G10") + ",",
                g_row("G12") + ",9999-12-31T23:00:00-05:00",
                g_row("G13") + ",0001-01-01T00:00:00+05:00",
            ),
        ),
        family=1,
        ledger={GC: (LOADED, None)},
        keys={"guarantors": {"G1", "G2", "G10"}},
        rejects=[
            (GC, 3, "sms_consent_at", "timestamp out of range (1800-01-01 to 9999-12-31)"),
            (GC, 4, "sms_consent_at", "timestamp out of range (1800-01-01 to 9999-12-31)"),
        ],
    ),
    Fault(
        "clp03_20_digits",
        "one bad 835 never holds back another file",
        "an 835 whose CLP03 has 20 digits, beside a good 835",
        "its transaction held with the reason; the good file and the base 835 load",
        both(
            add(
                "era/bad.835",
                era_835("AETNA", "2026-09-02", [claim("E2") | {"charge": "12345678901234567890"}], control=2),
            ),
            add("era/good.835", _835(3, claim("E3"))),
        ),
        family=1,
        ledger={"era/bad.835": (WARN, None), "era/good.835": (LOADED, None)},
        warnings={
            "era/bad.835": "transaction 0002 held: malformed CLP segment (segment 8 of ST 0002): an amount "
            "is out of range (more than 10 digits before the decimal point)"
        },
        keys={"remittance_claims": {"E1", "E3"}},
    ),
    Fault(
        "bpr02_20_digits",
        "one bad 835 never holds back another file",
        "BPR02 with 20 digits",
        "held with the reason",
        add("era/bad.835", _835(2, claim("E2")).replace("BPR*I*80.00", "BPR*I*" + "9" * 20)),
        family=1,
        ledger={"era/bad.835": (WARN, None)},
        warnings={
            "era/bad.835": "transaction 0002 held: malformed BPR segment (segment 2 of ST 0002): an amount "
            "is out of range (more than 10 digits before the decimal point)"
        },
    ),
    Fault(
        "units_20_digits",
        "quantities fit DECIMAL(18,4)",
        "a CAS quantity of 20 digits",
        "held with the reason",
        add(
            "era/bad.835",
            _835(2, claim("E2")).replace("CAS*CO*45*0.00", "X").replace("CAS*PR*1*20.00", "CAS*PR*1*20.00*" + "9" * 20),
        ),
        family=1,
        ledger={"era/bad.835": (WARN, None)},
        warnings={"era/bad.835": "a quantity is out of range (more than 14 digits before the decimal point)"},
    ),
    Fault(
        "clp04_nan",
        "an amount that is not a number holds the transaction",
        "CLP04 `NaN`",
        "held",
        add("era/bad.835", _835(2, claim("E2", paid="NaN")).replace("BPR*I*NaN", "BPR*I*0")),
        family=1,
        ledger={"era/bad.835": (WARN, None)},
        warnings={"era/bad.835": "an amount is not a number (NaN or Infinity)"},
    ),
    # ================================================= 2. files that cannot or must not be read
    Fault(
        "symlink_outside",
        "nothing outside the landing folder is ever read",
        "pm/guarantors_link.csv -> a valid file next to the landing folder",
        "refused; its rows never load",
        link("pm/guarantors_link.csv", outside),
        family=2,
        ledger={
            "pm/guarantors_link.csv": (
                "refused",
                "a symbolic link to a file outside the landing folder: not "
                "read (the pipeline reads nothing outside the landing folder; copy the "
                "file in instead)",
            )
        },
    ),
    Fault(
        "symlink_inside",
        "a link that stays inside the landing folder is an ordinary file",
        "era/latest.835 -> archive/resent.835 inside the landing folder",
        "loads",
        link("era/latest.835", inside),
        family=2,
        ledger={"era/latest.835": (LOADED, None)},
        keys={"remittance_claims": {"E1", "E2"}},
    ),
    Fault(
        "dangling_link",
        "every landing entry is explained",
        "pm/guarantors_gone.csv -> a missing file",
        "refused",
        link("pm/guarantors_gone.csv", lambda root: root / "nowhere.csv"),
        family=2,
        ledger={
            "pm/guarantors_gone.csv": (
                "refused",
                "a dangling symbolic link (its target does not exist): nothing to read",
            )
        },
    ),
    Fault(
        "link_loop",
        "every landing entry is explained",
        "pm/guarantors_loop.csv -> itself",
        "refused",
        link("pm/guarantors_loop.csv", lambda root: root / "pm" / "guarantors_loop.csv"),
        family=2,
        ledger={
            "pm/guarantors_loop.csv": (
                "refused",
                "a symbolic link that leads back to itself (a loop of links): nothing to read",
            )
        },
    ),
    Fault(
        "directory_named_like_a_file",
        "every landing entry is explained",
        "a folder pm/guarantors_2026.csv/ (with a CSV inside)",
        "refused; nothing in it read",
        folder("pm/guarantors_2026.csv"),
        family=2,
        ledger={
            "pm/guarantors_2026.csv": (
                "refused",
                "a folder named like a data file: not read (put the files themselves in the folder)",
            )
        },
    ),
    Fault(
        "pipe_named_like_a_file",
        "every landing entry is explained (a pipe would block a reader forever)",
        "a FIFO ops/contact_log_live.csv",
        "refused",
        fifo("ops/contact_log_live.csv"),
        family=2,
        ledger={"ops/contact_log_live.csv": ("refused", "not a regular file (a pipe, socket or device): not read")},
    ),
    Fault(
        "file_name_not_utf8",
        "every landing entry is explained",
        "pm/guarantors_Jos\\xe9.csv (a Latin-1 byte in the name)",
        "refused (the ledger holds the name with U+FFFD)",
        add("pm/guarantors_Jos\udce9.csv", guarantors_case()),
        family=2,
        ledger={
            "pm/guarantors_Jos\ufffd.csv": (
                "refused",
                "the file name is not valid UTF-8 (shown with \ufffd): rename the file",
            )
        },
    ),
    # ======================================================================= 4. upserts
    Fault(
        "partial_columns_keep_stored",
        "columns absent from a file keep their stored values",
        "a later delta of G1 with only guarantor_id, names, preferred_channel, updated_at",
        "preferred_channel updated; address, phone, e-mail and consent kept",
        add(
            DELTA,
            "guarantor_id,first_name,last_name,preferred_channel,updated_at\nG1,Ann,Lee,email,2026-03-01T00:00:00Z\n",
        ),
        first=add(FULL, lines(FULL_G, FULL_G1)),
        family=4,
        ledger={FULL: (LOADED, None), DELTA: (LOADED, None)},
        values={
            KEPT: f"Ann|{SPRING}|3125550101|ann@example.org|2026-01-05 10:00:00|2026-01-05|email",
            "SELECT _file_name FROM raw.guarantors WHERE guarantor_id = 'G1'": DELTA,
        },
    ),
    Fault(
        "partial_columns_present_empty_clears",
        "a column present but empty clears the value",
        "a later delta of G1 with an empty phone and no e-mail column",
        "phone cleared, e-mail kept",
        add(DELTA, "guarantor_id,first_name,last_name,phone,updated_at\nG1,Ann,Lee,,2026-03-01T00:00:00Z\n"),
        first=add(FULL, lines(FULL_G, FULL_G1)),
        family=4,
        ledger={FULL: (LOADED, None), DELTA: (LOADED, None)},
        values={KEPT: f"Ann|{SPRING}|ann@example.org|2026-01-05 10:00:00|2026-01-05|sms"},
    ),
    Fault(
        "partial_columns_new_key",
        "a new key takes what its file carries",
        "G20 in a delta without address",
        "G20 loads with an empty address",
        add(DELTA, f"guarantor_id,first_name,last_name,updated_at\nG20,Cy,Do,{TS}\n"),
        first=add(FULL, lines(FULL_G, FULL_G1)),
        family=4,
        ledger={FULL: (LOADED, None), DELTA: (LOADED, None)},
        keys={"guarantors": {"G1", "G2", "G20"}},
        values={
            "SELECT count(*) FROM raw.guarantors WHERE guarantor_id = 'G20' AND address_line1 IS NULL": 1,
            KEPT: f"Ann|{SPRING}|3125550101|ann@example.org|2026-01-05 10:00:00|2026-01-05|sms",
        },
    ),
    Fault(
        "partial_columns_older_delta",
        "an older delta changes nothing",
        "a delta of G1 dated before the stored row",
        "the stored row stays whole",
        add(
            DELTA,
            "guarantor_id,first_name,last_name,preferred_channel,updated_at\nG1,Old,Lee,mail,2025-01-01T00:00:00Z\n",
        ),
        first=add(FULL, lines(FULL_G, FULL_G1)),
        family=4,
        ledger={FULL: (LOADED, None), DELTA: (LOADED, None)},
        values={KEPT: f"Ann|{SPRING}|3125550101|ann@example.org|2026-01-05 10:00:00|2026-01-05|sms"},
    ),
    Fault(
        "updated_at_2062",
        "an updated_at beyond the run's start + tolerance is a reject",
        "G12 updated_at `2062-01-01T00:00:00Z`",
        "row rejected",
        add(GC, guarantors_case(g_row("G12", ts="2062-01-01T00:00:00Z"))),
        family=4,
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
        rejects=row_reject(GC, "updated_at", FUTURE),
    ),
    Fault(
        "updated_at_typo_does_not_pin",
        "a typo updated_at never pins a row",
        "G1 dated 2062 (rejected), then a normal update of G1",
        "the normal update loads",
        add("pm/guarantors_fix.csv", lines(G_HEADER, g_row("G1", last="Fixed", ts="2026-06-01T00:00:00Z"))),
        first=add("pm/guarantors_typo.csv", lines(G_HEADER, g_row("G1", last="Typo", ts="2062-06-01T00:00:00Z"))),
        family=4,
        ledger={"pm/guarantors_typo.csv": (LOADED, None), "pm/guarantors_fix.csv": (LOADED, None)},
        rejects=[("pm/guarantors_typo.csv", 2, "updated_at", FUTURE)],
        values={"SELECT last_name FROM raw.guarantors WHERE guarantor_id = 'G1'": "Fixed"},
    ),
    Fault(
        "updated_at_20_minutes_ahead",
        "tolerance is 15 minutes (policy)",
        "G12 updated 20 minutes from now",
        "row rejected",
        future_row(20),
        family=4,
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
        rejects=row_reject(GC, "updated_at", FUTURE),
    ),
    Fault(
        "updated_at_5_minutes_ahead",
        "a clock a little ahead is tolerated",
        "G12 updated 5 minutes from now",
        "loads",
        future_row(5),
        family=4,
        ledger={GC: (LOADED, None)},
        keys={"guarantors": {"G1", "G2", "G10", "G11", "G12"}},
    ),
    Fault(
        "header_same_column_twice",
        "a duplicate header rejects the file, naming the columns",
        "`…,phone,phone`",
        "file rejected",
        add(GC, lines(G_HEADER + ",phone,phone", g_row("G10") + ",,3125550101")),
        family=4,
        ledger={
            GC: (
                REJ,
                "pm/guarantors_case.csv: the header names a column more than once: phone is named by "
                "columns 9 and 10 ('phone', 'phone') (keep one of each)",
            )
        },
    ),
    Fault(
        "header_spaces_and_case",
        "an ambiguous header rejects the file",
        "` Last_Name ` beside `last_name`",
        "file rejected",
        add(GC, lines(G_HEADER + ", Last_Name ", g_row("G10") + ",Shadow")),
        family=4,
        ledger={
            GC: (
                REJ,
                "pm/guarantors_case.csv: the header names a column more than once: last_name is named "
                "by columns 3 and 9 ('last_name', ' Last_Name ') (keep one of each)",
            )
        },
    ),
    Fault(
        "header_key_twice",
        "an ambiguous header rejects the file",
        "`guarantor_id` and `GUARANTOR_ID`, `Email` and `EMAIL`",
        "file rejected, every duplicate named",
        add(GC, lines(G_HEADER + ",GUARANTOR_ID,Email,EMAIL", g_row("G10") + ",G99,a@b.org,c@d.org")),
        family=4,
        ledger={
            GC: (
                REJ,
                "pm/guarantors_case.csv: the header names a column more than once: guarantor_id is "
                "named by columns 1 and 9 ('guarantor_id', 'GUARANTOR_ID'); email is named by columns "
                "10 and 11 ('Email', 'EMAIL') (keep one of each)",
            )
        },
    ),
    # ====================================================================== 5. SendGrid events
    Fault(
        "events_timestamp_forms",
        "accept the timestamp forms SendGrid and its proxies send",
        "seconds (number, text, float), milliseconds, microseconds, ISO 8601 with Z, offset, none, an e-mail date",
        "every event at 2025-11-20 14:46:40 UTC",
        add(
            EV,
            events(
                unsub("t01", timestamp=1763650000),
                unsub("t02", timestamp="1763650000"),
                unsub("t03", timestamp=1763650000000),
                unsub("t04", timestamp="1763650000000"),
                unsub("t05", timestamp=1763650000.0),
                unsub("t06", timestamp="2025-11-20T14:46:40Z"),
                unsub("t07", timestamp="2025-11-20T08:46:40-06:00"),
                unsub("t08", timestamp="2025-11-20T14:46:40"),
                unsub("t09", timestamp="2025-11-20 14:46:40+00:00"),
                unsub("t10", timestamp=1763650000000000),
                unsub("t11", timestamp="Thu, 20 Nov 2025 14:46:40 GMT"),
            ),
        ),
        family=5,
        ledger={EV: (LOADED, None)},
        keys={"sendgrid_events": {f"ev-t{i:02d}" for i in range(1, 12)}},
        values={
            "SELECT count(DISTINCT event_at) || ' ' || min(event_at) || ' ' || min(event_at_source) "
            "FROM raw.sendgrid_events": "1 2025-11-20 14:46:40 sendgrid"
        },
    ),
    Fault(
        "events_without_usable_time",
        "an unsubscribe, spam report or bounce with no usable time is never lost",
        "no timestamp, null, empty, `yesterday`, -5, true",
        "each loads, effective from the file's arrival",
        both(
            add(
                EV,
                events(
                    unsub("t1"),
                    unsub("t2", timestamp=None),
                    unsub("t3", timestamp=""),
                    unsub("t4", timestamp="yesterday") | {"event": "spamreport"},
                    unsub("t5", timestamp=-5) | {"event": "bounce"},
                    unsub("t6", timestamp=True) | {"event": "group_unsubscribe"},
                ),
            ),
            arrived(EV, ARRIVAL),
        ),
        family=5,
        ledger={EV: (WARN, None)},
        keys={"sendgrid_events": {f"ev-t{i}" for i in range(1, 7)}},
        warnings={
            EV: "6 event(s) without a usable timestamp: taken as of the file's arrival (2026-11-19 23:30:00 UTC)"
        },
        values={
            "SELECT count(*) FROM raw.sendgrid_events WHERE event_at = TIMESTAMP '2026-11-19 23:30:00' "
            "AND event_at_source = 'file_arrival'": 6
        },
    ),
    Fault(
        "events_without_sg_event_id",
        "a missing sg_event_id gets a deterministic id; a re-send stays idempotent",
        "two events without sg_event_id, then the same events re-sent in another file and order",
        "loaded once each under synthetic ids",
        add(
            "events/sendgrid/resend.json",
            events(
                {"event": "bounce", "email": "b@example.org", "timestamp": 1763650100, "type": "bounce"},
                {"event": "unsubscribe", "email": "a@example.org", "timestamp": 1763650000},
            ),
        ),
        first=add(
            EV,
            events(
                {"event": "unsubscribe", "email": "a@example.org", "timestamp": 1763650000},
                {"event": "bounce", "email": "b@example.org", "timestamp": 1763650100, "type": "bounce"},
            ),
        ),
        family=5,
        ledger={EV: (LOADED, None), "events/sendgrid/resend.json": (WARN, None)},
        warnings={"events/sendgrid/resend.json": "2 event(s) already loaded (same sg_event_id): not loaded again"},
        keys={
            "sendgrid_events": {
                synthetic_id({"event": "unsubscribe", "email": "a@example.org", "timestamp": 1763650000}),
                synthetic_id({"event": "bounce", "email": "b@example.org", "timestamp": 1763650100, "type": "bounce"}),
            }
        },
    ),
    Fault(
        "events_no_recipient",
        "reject only what cannot identify a recipient, with the reason",
        "an unsubscribe with no email, guarantor_id or touch_id beside one with only a touch_id in custom_args",
        "the first rejected, the second loads",
        add(
            EV,
            events(
                {"event": "unsubscribe", "timestamp": 1763650000, "sg_event_id": "nobody"},
                {
                    "event": "unsubscribe",
                    "timestamp": 1763650000,
                    "sg_event_id": "nested",
                    "custom_args": {"touch_id": "T-9"},
                },
            ),
        ),
        family=5,
        ledger={EV: (WARN, None)},
        keys={"sendgrid_events": {"nested"}},
        rejects=[(EV, 1, "(event)", NO_RECIPIENT)],
        values={"SELECT touch_id FROM raw.sendgrid_events": "T-9"},
    ),
    Fault(
        "events_type_case_and_junk",
        "event types in any case; a non-object or unknown type is a reject",
        "`Unsubscribe`, a number in the array, `teleported`",
        "the unsubscribe loads; two rejects",
        add(EV, events(unsub("t1") | {"event": " Unsubscribe "}, 7, unsub("t3") | {"event": "teleported"})),
        family=5,
        ledger={EV: (WARN, None)},
        keys={"sendgrid_events": {"ev-t1"}},
        rejects=[(EV, 2, "(event)", "not a JSON object"), (EV, 3, "event", "unknown event type")],
        values={"SELECT event FROM raw.sendgrid_events": "unsubscribe"},
    ),
    # ===================================================== 6. formats we recognise, and refuse
    Fault(
        "csv_gzip",
        "a CSV is plain text",
        "pm/guarantors_case.csv holding gzip data",
        "quarantined: what it is",
        add(GC, gzip.compress(guarantors_case().encode())),
        family=6,
        ledger={GC: (QUAR, looks("gzip-compressed data (decompress it first)"))},
    ),
    Fault(
        "csv_gz_name",
        "file names: pm/guarantors*.csv",
        "pm/guarantors_20261120.csv.gz (gzip)",
        "refused: the names the folder takes, and what the file is",
        add("pm/guarantors_20261120.csv.gz", gzip.compress(guarantors_case().encode())),
        family=6,
        ledger={
            "pm/guarantors_20261120.csv.gz": (
                "refused",
                PM_NAMES + "; the file looks like gzip-compressed data (decompress it first)",
            )
        },
    ),
    Fault(
        "xlsx_name",
        "file names: pm/guarantors*.csv",
        "pm/guarantors.xlsx (an Excel workbook)",
        "refused",
        add("pm/guarantors.xlsx", zipped("xl/workbook.xml", b"<workbook/>", {"[Content_Types].xml": b"<Types/>"})),
        family=6,
        ledger={
            "pm/guarantors.xlsx": (
                "refused",
                PM_NAMES + "; the file looks like an Excel workbook (.xlsx): export the sheet as CSV",
            )
        },
    ),
    Fault(
        "csv_zip",
        "a CSV is plain text",
        "a ZIP archive named .csv",
        "quarantined",
        add(GC, zipped("guarantors.csv", guarantors_case().encode())),
        family=6,
        ledger={GC: (QUAR, looks("a ZIP archive (extract it)"))},
    ),
    Fault(
        "csv_xlsx",
        "a CSV is plain text",
        "an Excel workbook saved as .csv",
        "quarantined",
        add(GC, zipped("xl/workbook.xml", b"<workbook/>", {"[Content_Types].xml": b"<Types/>"})),
        family=6,
        ledger={GC: (QUAR, looks("an Excel workbook (.xlsx): export the sheet as CSV"))},
    ),
    Fault(
        "csv_xls",
        "a CSV is plain text",
        "an Excel 97-2003 file named .csv",
        "quarantined",
        add(GC, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)),
        family=6,
        ledger={GC: (QUAR, looks("an Excel 97-2003 workbook (.xls) or another old Office file"))},
    ),
    Fault(
        "csv_tsv",
        "comma separated",
        "a tab-separated guarantors file",
        "quarantined",
        add(GC, guarantors_case().replace(",", "\t")),
        family=6,
        ledger={GC: (QUAR, looks("tab-separated values (TSV)"))},
    ),
    Fault(
        "csv_semicolon_encounters",
        "comma separated",
        "a semicolon-separated encounters file",
        "quarantined",
        add(EC, encounters_case().replace(",", ";")),
        family=6,
        ledger={EC: (QUAR, looks("semicolon-separated values (a spreadsheet saved with a ';' list separator)"))},
    ),
    Fault(
        "csv_excel_sep_line",
        "one header row",
        "`sep=;` then a semicolon-separated file",
        "quarantined",
        add(GC, "sep=;\n" + guarantors_case().replace(",", ";")),
        family=6,
        ledger={GC: (QUAR, looks("a CSV that starts with an Excel 'sep=;' line (remove that line)"))},
    ),
    Fault(
        "csv_excel_sep_comma",
        "one header row",
        "`sep=,` then a valid CSV",
        "quarantined",
        add(GC, "sep=,\n" + guarantors_case()),
        family=6,
        ledger={GC: (QUAR, looks("a CSV that starts with an Excel 'sep=,' line (remove that line)"))},
    ),
    Fault(
        "csv_ndjson",
        "a CSV is comma-separated text",
        "NDJSON rows in pm/guarantors_case.csv",
        "quarantined",
        add(GC, "\n".join(json.dumps({"guarantor_id": g, "first_name": "Ann"}) for g in ("G10", "G11")) + "\n"),
        family=6,
        ledger={GC: (QUAR, looks("newline-delimited JSON (NDJSON: one JSON object per line)"))},
    ),
    Fault(
        "csv_json_array",
        "a CSV is comma-separated text",
        "a JSON array in a CSV name",
        "quarantined",
        add(GC, json.dumps([{"guarantor_id": "G10"}])),
        family=6,
        ledger={GC: (QUAR, looks("a JSON array"))},
    ),
    Fault(
        "csv_utf16_no_bom",
        "UTF-8 only",
        "UTF-16 LE without a byte order mark",
        "quarantined",
        add(GC, guarantors_case().encode("utf-16-le")),
        family=6,
        ledger={GC: (QUAR, looks("UTF-16 text without a byte order mark (every other byte is 0)"))},
    ),
    Fault(
        "csv_utf16_be",
        "UTF-8 only",
        "UTF-16 BE with its byte order mark",
        "quarantined",
        add(GC, guarantors_case().encode("utf-16-be").join([b"\xfe\xff", b""])),
        family=6,
        ledger={GC: (QUAR, looks("UTF-16 text (a UTF-16 byte order mark)"))},
    ),
    Fault(
        "csv_utf32",
        "UTF-8 only",
        "UTF-32 with its byte order mark",
        "quarantined",
        add(GC, guarantors_case().encode("utf-32")),
        family=6,
        ledger={GC: (QUAR, looks("UTF-32 text (little endian)"))},
    ),
    Fault(
        "csv_html",
        "a CSV is comma-separated text",
        "an HTML error page saved as the export",
        "quarantined",
        add(GC, "<html><body>Session expired, please log in</body></html>\n"),
        family=6,
        ledger={GC: (QUAR, looks("an XML or HTML document"))},
    ),
    Fault(
        "era_gzip",
        "an 835 is X12 text",
        "a gzip-compressed 835",
        "quarantined",
        add("era/x.835.gz", gzip.compress(_835(2, claim("E2")).encode())),
        family=6,
        ledger={"era/x.835.gz": (QUAR, looks("gzip-compressed data (decompress it first)", ERA_EXPECTS))},
    ),
    Fault(
        "era_zip",
        "an 835 is X12 text",
        "a ZIP of 835s (stored: the ISA shows through)",
        "quarantined",
        add("era/batch.zip", zipped("a.835", _835(2, claim("E2")).encode())),
        family=6,
        ledger={"era/batch.zip": (QUAR, looks("a ZIP archive (extract it)", ERA_EXPECTS))},
    ),
    Fault(
        "era_lower_case",
        "X12 segment ids are upper case",
        "an 835 written in lower case",
        "quarantined",
        add("era/lower.835", _835(2, claim("E2")).lower()),
        family=6,
        ledger={
            "era/lower.835": (
                QUAR,
                looks("an X12 file with lower-case segment ids ('isa', 'st'; X12 ids are upper case)", ERA_EXPECTS),
            )
        },
    ),
    Fault(
        "era_utf16_is_read",
        "(contract silent) X12 text in another encoding is still X12",
        "an 835 saved as UTF-16 with its byte order mark",
        "loads (the text is unambiguous)",
        add("era/wide.835", _835(2, claim("E2")).encode("utf-16")),
        family=6,
        ledger={"era/wide.835": (LOADED, None)},
        keys={"remittance_claims": {"E1", "E2"}},
    ),
    Fault(
        "era_csv",
        "an 835 is X12 text",
        "a remittance report as CSV in era/",
        "quarantined",
        add("era/remit.csv", "claim,paid,patient\nE2,80.00,20.00\nE3,10.00,5.00\n"),
        family=6,
        ledger={"era/remit.csv": (QUAR, looks("comma-separated text (a CSV)", ERA_EXPECTS))},
    ),
    Fault(
        "events_ndjson",
        "events/sendgrid/*.json are JSON arrays",
        "one event per line (NDJSON)",
        "quarantined",
        add(EV, "\n".join(json.dumps(unsub(t)) for t in ("t1", "t2")) + "\n"),
        family=6,
        ledger={EV: (QUAR, looks("newline-delimited JSON (NDJSON: one event per line)", EV_EXPECTS))},
    ),
    Fault(
        "events_gzip",
        "events/sendgrid/*.json are JSON arrays",
        "a gzip-compressed batch",
        "quarantined",
        add(EV, gzip.compress(events(unsub("t1")).encode())),
        family=6,
        ledger={EV: (QUAR, looks("gzip-compressed data (decompress it first)", EV_EXPECTS))},
    ),
    Fault(
        "events_csv",
        "events/sendgrid/*.json are JSON arrays",
        "a CSV export of events",
        "quarantined",
        add(EV, "event,email,timestamp\nunsubscribe,a@example.org,1763650000\n"),
        family=6,
        ledger={EV: (QUAR, looks("comma-separated text (a CSV)", EV_EXPECTS))},
    ),
    # ================================================================ 7. values that print wrong
    Fault(
        "nul_in_field",
        "no control characters in a value",
        "last_name `Le\\0e` (a NUL)",
        "row rejected",
        add(GC, guarantors_case(g_row("G12", last="Le\x00e"))),
        family=7,
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
        rejects=row_reject(GC, "last_name", CONTROL),
    ),
    Fault(
        "ctrl_z_in_field",
        "no control characters in a value",
        "first_name `Ann^Z`",
        "row rejected",
        add(GC, guarantors_case(g_row("G12", first="An\x1an"))),
        family=7,
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
        rejects=row_reject(GC, "first_name", CONTROL),
    ),
    Fault(
        "c1_control_in_field",
        "no control characters in a value",
        "city with U+0085 (a Windows-1252 ellipsis read as Latin-1)",
        "row rejected",
        add(GC, lines(G_HEADER + ",city", g_row("G10") + ",Springfield", g_row("G12") + ",Spring\u0085")),
        family=7,
        ledger={GC: (LOADED, None)},
        keys={"guarantors": {"G1", "G2", "G10"}},
        rejects=row_reject(GC, "city", CONTROL),
    ),
    Fault(
        "dos_eof_line",
        "a DOS end-of-file mark is not data",
        "a CRLF file ending with ^Z on its own line",
        "every row loads, with a warning",
        add(GC, guarantors_case(nl="\r\n") + "\x1a"),
        family=7,
        ledger={GC: (WARN, None)},
        keys=G_PLUS,
        lost_check=False,
        warnings={GC: "a DOS end-of-file mark (^Z) at the end of the file was ignored"},
    ),
    Fault(
        "dos_eof_after_last_value",
        "a DOS end-of-file mark is not data",
        "^Z right after the last value",
        "every row loads, with a warning",
        add(GC, guarantors_case().rstrip("\n") + "\x1a"),
        family=7,
        ledger={GC: (WARN, None)},
        keys=G_PLUS,
        warnings={GC: "a DOS end-of-file mark (^Z) at the end of the file was ignored"},
        values={
            "SELECT CAST(updated_at AS VARCHAR) FROM raw.guarantors WHERE guarantor_id = 'G11'": "2026-01-02 10:00:00"
        },
    ),
    Fault(
        "address_too_long",
        "an address line fits the statement's window (64 characters)",
        "a newer G1 with a 300-character address_line1",
        "row rejected; G1 keeps its valid version",
        add(
            "pm/guarantors_b.csv",
            lines(
                G_HEADER + ",address_line1", g_row("G1", last="New", ts="2026-06-01T00:00:00Z") + "," + "7 Elm " * 50
            ),
        ),
        family=7,
        ledger={"pm/guarantors_b.csv": (LOADED, None)},
        rejects=[("pm/guarantors_b.csv", 2, "address_line1", "value too long (more than 64 characters)")],
        values={"SELECT last_name FROM raw.guarantors WHERE guarantor_id = 'G1'": "Lee"},
    ),
    Fault(
        "name_too_long",
        "a name fits a letter (100 characters)",
        "last_name of 101 characters",
        "row rejected",
        add(GC, guarantors_case(g_row("G12", last="L" * 101))),
        family=7,
        ledger={GC: (LOADED, None)},
        keys=G_PLUS,
        rejects=row_reject(GC, "last_name", "value too long (more than 100 characters)"),
    ),
    Fault(
        "address_at_limit",
        "64 characters fit",
        "address_line1 of exactly 64 characters",
        "loads",
        add(GC, lines(G_HEADER + ",address_line1", g_row("G12") + "," + "A" * 64)),
        family=7,
        ledger={GC: (LOADED, None)},
        keys={"guarantors": {"G1", "G2", "G12"}},
    ),
    Fault(
        "835_three_decimals",
        "money has at most 2 decimals in 835s too (nothing rounded)",
        "a file of two transactions, the second paying 80.005",
        "the second held with the reason; the first loads",
        add("era/mils.835", ALL_THREE_TX),
        family=7,
        ledger={"era/mils.835": (WARN, None)},
        warnings={
            "era/mils.835": "transaction 0003 held: malformed BPR segment (segment 2 of ST 0003): an amount "
            "has more than 2 decimals (money has at most 2 decimals; nothing is rounded)"
        },
        keys={"remittance_claims": {"E1", "E2"}},
    ),
    Fault(
        "835_cas_three_decimals",
        "money has at most 2 decimals in 835s too",
        "a CAS amount of 20.001",
        "held",
        add("era/mils.835", _835(2, claim("E2")).replace("CAS*PR*1*20.00", "CAS*PR*1*20.001")),
        family=7,
        ledger={"era/mils.835": (WARN, None)},
        warnings={"era/mils.835": "malformed CAS segment (segment 9 of ST 0002): an amount has more than 2 decimals"},
    ),
    Fault(
        "835_trailing_zeros",
        "a third decimal that is 0 rounds nothing",
        "CLP04 written `80.000`",
        "loads",
        add("era/zeros.835", _835(2, claim("E2")).replace("*80.00*20.00*", "*80.000*20.00*")),
        family=7,
        ledger={"era/zeros.835": (LOADED, None)},
        keys={"remittance_claims": {"E1", "E2"}},
        values={"SELECT CAST(paid AS VARCHAR) FROM raw.remittance_claims WHERE patient_control_number = 'E2'": "80.00"},
    ),
]


def assert_events_accounted(con) -> None:
    """Every event of a loaded batch is loaded, rejected with its line, or already loaded."""
    for name, status, read, loaded, rejected, warnings in con.execute(
        "SELECT file_name, status, rows_read, rows_loaded, rows_rejected, warnings FROM raw.file_ledger "
        "WHERE kind = 'sendgrid_events'"
    ).fetchall():
        if not status.startswith("loaded"):
            continue
        again = (
            int(warnings.split(" event(s) already loaded")[0].split("; ")[-1])
            if warnings and "already loaded" in warnings
            else 0
        )
        assert read == loaded + rejected + again, name
        (lines_rejected,) = con.execute(
            "SELECT count(DISTINCT line_number) FROM raw.load_rejects WHERE file_name = ?", [name]
        ).fetchone()
        assert lines_rejected == rejected, name


@pytest.mark.parametrize("case", FAULTS, ids=lambda c: c.id)
def test_input_fault(case: Fault, tmp_path, caplog):
    con = duckdb.connect()
    try:
        report = run_case(case, tmp_path / "landing", con)  # never raises, whatever the files hold
        assert_case(case, con, report, caplog)
        if case.lost_check:
            assert_nothing_lost(con, tmp_path / "landing")
        assert_events_accounted(con)
    finally:
        con.close()


def test_every_family_has_cases():
    by_family = {f: [c.id for c in FAULTS if c.family == f] for f in (1, 2, 4, 5, 6, 7)}
    assert all(len(ids) >= 5 for ids in by_family.values()), by_family
    assert len({c.id for c in FAULTS}) == len(FAULTS)


def catalogue_markdown() -> str:
    """The catalogue as the Markdown table of docs/reliability.md."""
    return catalogue_table(FAULTS, {"family": lambda c: str(c.family)})


def test_docs_list_every_case():
    doc = (REPO / "docs" / "reliability.md").read_text()
    missing = [c.id for c in FAULTS if f"`{c.id}`" not in doc]
    assert not missing, f"docs/reliability.md lacks {missing}; regenerate with catalogue_markdown()"


# ------------------------------------------------ 2. a file the pipeline's user cannot read
UNPRIVILEGED = """
import os, shutil, sys
from datetime import date
from pathlib import Path
import duckdb
from orchestration.policy.policy import load_policy
from orchestration.raw.ingest import ingest
landing, warehouse, warm = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
policy = load_policy()
con = duckdb.connect()            # every import and code path once, as root, on a readable copy
ingest(con, warm, policy, today=date(2026, 11, 27))
con.close()
os.setgroups([]); os.setgid(65534); os.setuid(65534)       # then the pipeline as 'nobody'
con = duckdb.connect(warehouse)
ingest(con, landing, policy, today=date(2026, 11, 27), as_of=date(2026, 11, 27), run_id="r")
con.close()
"""


def _ingest_as_pipeline_user(landing: Path, warehouse: Path) -> None:
    """The real ingest as a user without the right to read every file: in-process when the
    tests do not run as root, else in a child that drops to 'nobody' (root reads anything)."""
    if os.geteuid() != 0:
        con = duckdb.connect(str(warehouse))
        try:
            run(con, landing)
        finally:
            con.close()
        return
    import shutil
    import subprocess
    import sys

    warm = landing.parent / "warm"
    shutil.rmtree(warm, ignore_errors=True)
    shutil.copytree(landing, warm, ignore=lambda d, names: [n for n in names if "locked" in n])
    proc = subprocess.run(
        [sys.executable, "-c", UNPRIVILEGED, str(landing), str(warehouse), str(warm)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_unreadable_file_is_refused_with_the_reason_and_loads_once_readable():
    import shutil
    import tempfile

    work = Path(tempfile.mkdtemp(prefix="input-faults-", dir="/tmp"))  # outside pytest's 0700 folders
    try:
        os.chmod(work, 0o777)
        root = work / "landing"
        base(root)
        locked = write(root, "pm/guarantors_locked.csv", guarantors_case())
        for p in [root, *root.rglob("*")]:
            os.chmod(p, 0o777 if p.is_dir() else 0o644)
        os.chmod(locked, 0o000)
        warehouse = work / "warehouse.duckdb"
        _ingest_as_pipeline_user(root, warehouse)
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            assert latest_ledger(con) == dict(BASE_LEDGER) | {
                "pm/guarantors_locked.csv": (
                    "refused",
                    "not readable: permission denied (give the pipeline's user read access; retried every run)",
                )
            }
            for table, keys in BASE_KEYS.items():
                assert _keys(con, table) == keys, table
        finally:
            con.close()
        os.chmod(locked, 0o644)  # access granted: the next run loads it
        _ingest_as_pipeline_user(root, warehouse)
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            assert latest_ledger(con)["pm/guarantors_locked.csv"] == (LOADED, None)
            assert _keys(con, "guarantors") == {"G1", "G2", "G10", "G11"}
        finally:
            con.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_a_refused_entry_is_recorded_once_while_it_stays_as_it_is(tmp_path):
    root = tmp_path / "landing"
    base(root)
    link("pm/guarantors_link.csv", outside)(root)
    con = duckdb.connect()
    try:
        run(con, root)
        run(con, root)
        assert con.execute("SELECT count(*) FROM raw.file_ledger WHERE status = 'refused'").fetchone()[0] == 1
    finally:
        con.close()


# ------------------------------------------- 1. a DuckDB error never escapes a file's load
def test_a_database_error_in_one_835_holds_back_no_other_file(tmp_path, monkeypatch, caplog):
    """Whatever goes wrong storing one file (here DuckDB refusing a value of era/boom.835, as a
    20-digit amount did before the checked casts), that file alone is quarantined with the error
    -- no value in the reason -- and every other 835 of the batch loads."""
    from orchestration.raw import era_loader

    real_insert = era_loader._insert

    def insert(con, table, data, stamps, loaded_at):
        if "era/boom.835" in stamps["file_name"]:
            raise duckdb.ConversionException(
                'Conversion Error: Could not convert string "12345678901234567890" to INT32'
            )
        return real_insert(con, table, data, stamps, loaded_at)

    monkeypatch.setattr(era_loader, "_insert", insert)
    root = tmp_path / "landing"
    base(root)
    write(root, "era/boom.835", _835(2, claim("E2")))
    write(root, "era/zz_after.835", _835(3, claim("E3")))
    con = duckdb.connect()
    try:
        run(con, root)
        assert latest_ledger(con) == dict(BASE_LEDGER) | {
            "era/boom.835": (
                QUAR,
                "could not be loaded: ConversionException: Conversion Error: Could not convert "
                "string … to INT32; nothing of this file was stored",
            ),
            "era/zz_after.835": (LOADED, None),
        }
        assert _keys(con, "remittance_claims") == {"E1", "E3"}
        assert (
            con.execute("SELECT count(*) FROM raw.remittance_transactions WHERE file_name = 'era/boom.835'").fetchone()[
                0
            ]
            == 0
        )
        assert "12345678901234567890" not in caplog.text
    finally:
        con.close()
