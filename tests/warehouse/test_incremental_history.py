"""Incremental history (docs/architecture.md, "Incremental history"): daily builds on one
warehouse, with late files, a re-sent corrected file, a visit serviced and a claim paid after an
earlier build's as-of date, an encounter moved to another guarantor and a backfill of an earlier
date, give the rows a build from scratch at the same date gives: the history models row for row,
and every intermediate model and mart on the last day and on the backfill."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration.landing.contract import CSV_BY_NAME
from tests.warehouse.harness import Landing, Warehouse, copy_warehouse, dbt_build

pytestmark = pytest.mark.slow(runs=7)  # scheduling: tests/conftest.py

HISTORY_MODELS = ("int_balance_ledger",)
D1, D2, D3 = date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)


def _delivery(lz: Landing, table: str, name: str, rows: list[dict], arrives: date) -> None:
    """A dated export of `table` beside the scenario's files (pm/<prefix>_<name>.csv), arriving
    at 23:00 clinic time the evening before `arrives`; written again = a re-sent file."""
    import os

    spec = CSV_BY_NAME[table]
    cols = [c.name for c in spec.columns]
    path = lz.root / "landing" / spec.folder / f"{spec.prefix}_{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in cols})
    at = lz.local(arrives - timedelta(days=1), 23).timestamp()
    os.utime(path, (at, at))


def _differences(incremental: Path, fresh: Path, tables: list[tuple[str, str]]) -> dict[str, int]:
    """Rows in one and not the other (EXCEPT ALL both ways), per table; the build marks
    (history_*) left out: they say when a row was computed."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{incremental}' AS inc (READ_ONLY)")
        con.execute(f"ATTACH '{fresh}' AS fre (READ_ONLY)")
        out = {}
        for schema, table in tables:
            names = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE database_name = 'inc' "
                    "AND schema_name = ? AND table_name = ? ORDER BY column_index",
                    [schema, table],
                ).fetchall()
                if not r[0].startswith("history_")
            ]
            cols = ", ".join(f'"{c}"' for c in names)
            a = f"SELECT {cols} FROM inc.{schema}.{table}"
            b = f"SELECT {cols} FROM fre.{schema}.{table}"
            one_way = f"SELECT count(*) FROM ({a} EXCEPT ALL {b})"
            other_way = f"SELECT count(*) FROM ({b} EXCEPT ALL {a})"
            out[f"{schema}.{table}"] = con.execute(f"SELECT ({one_way}) + ({other_way})").fetchone()[0]
        return out
    finally:
        con.close()


def _tables(path: Path, schemas: tuple[str, ...]) -> list[tuple[str, str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name IN "
            f"({', '.join('?' * len(schemas))}) ORDER BY 1, 2",
            list(schemas),
        ).fetchall()
    finally:
        con.close()


def _from_scratch(wh: Warehouse, folder: Path, select: str) -> Path:
    """A copy of the warehouse with the history models dropped, rebuilt (`select`) at the same
    as-of date: what a full refresh gives. `dbt run`: the copy's rows are compared with the
    incremental warehouse's, whose build ran the dbt tests on them."""
    copy = copy_warehouse(wh.path, folder)
    con = duckdb.connect(str(copy))
    try:
        for m in HISTORY_MODELS:
            con.execute(f"DROP TABLE intermediate.{m}")
    finally:
        con.close()
    dbt_build(copy, select=select, command="run")
    return copy


@pytest.fixture(scope="module")
def days(tmp_path_factory, dbt_manifest):
    """The incremental warehouse after each day, and the fresh build beside it."""
    root = tmp_path_factory.mktemp("history")
    lz = Landing(root / "clinic")
    for g in ("G1", "G2", "G3", "G4", "G5", "G6", "G7"):
        lz.guarantor(g)
    lz.encounter("E1", "G1", service_date="2026-10-01", total_charge="300.00")
    lz.txn("T1", "G1", "E1", posted_at="2026-10-05", amount="50.00")
    lz.encounter("E2", "G2", service_date="2026-10-10", total_charge="500.00", primary_payer_id="AETNA")
    lz.encounter("E4", "G4", service_date="2026-10-20", total_charge="400.00", primary_payer_id="AETNA")
    lz.encounter("E5", "G5", service_date="2026-10-15", total_charge="200.00")
    lz.txn("T5", "G5", "E5", posted_at="2026-10-20", amount="20.00")
    lz.txn("T6", "G6", None, posted_at="2026-11-01", amount="10.00")  # on-account money
    lz.encounter("E7", "G7", service_date="2026-09-01", total_charge="80.00")
    lz.txn("T7", "G7", "E7", posted_at="2026-09-10", amount="30.00")
    out = {}

    def check(name: str, wh: Warehouse, select: str = "int_balance_ledger") -> None:
        fresh = _from_scratch(wh, root / name, select)
        everything = select != "int_balance_ledger"  # the models after it were built too
        tables = [("intermediate", m) for m in HISTORY_MODELS]
        if everything:
            tables = _tables(wh.path, ("intermediate", "marts"))
        marks = wh.rows(
            "SELECT DISTINCT guarantor_id, history_as_of_date FROM intermediate.int_balance_ledger ORDER BY 1"
        )
        out[name] = (dict(marks), _differences(wh.path, fresh, tables))

    lz.build(D1, select="+int_balance_ledger")  # the first build: from scratch

    # D2: a payment on E1; E3 serviced; E5 moved to G6 and T5 corrected (later updated_at); E2's
    # primary claim, paid on Nov 1, arrives late (payer BCBS sorts after AETNA: the file names stay)
    _delivery(
        lz,
        "patient_transactions",
        "20261119",
        [
            dict(
                transaction_id="T2",
                guarantor_id="G1",
                encounter_id="E1",
                posted_at="2026-11-18",
                type="payment",
                amount="30.00",
                updated_at="2026-11-18T12:00:00Z",
            ),
            dict(
                transaction_id="T5",
                guarantor_id="G6",
                encounter_id="E5",
                posted_at="2026-10-20",
                type="payment",
                amount="25.00",
                updated_at="2026-11-18T12:00:00Z",
            ),
        ],
        D2,
    )
    _delivery(
        lz,
        "encounters",
        "20261119",
        [
            dict(
                encounter_id="E3",
                guarantor_id="G3",
                patient_id="P-G3",
                service_date="2026-11-18",
                total_charge="120.00",
                primary_payer_id="SELFPAY",
                updated_at="2026-11-18T12:00:00Z",
            ),
            dict(
                encounter_id="E5",
                guarantor_id="G6",
                patient_id="P-G6",
                service_date="2026-10-15",
                total_charge="200.00",
                primary_payer_id="SELFPAY",
                updated_at="2026-11-18T12:00:00Z",
            ),
        ],
        D2,
    )
    lz.claim("E2", payment_date="2026-11-01", charge="500.00", paid="350.00", pr="150.00", clp07="P2", payer="BCBS")
    wh = lz.build(D2, select="+int_balance_ledger")
    check("d2", wh)

    # D3: the secondary for E2 (supersedes the primary), E4 adjudicated, a late payment on E3,
    # and the D2 postings file re-sent corrected (T2 was 35.00)
    lz.claim("E4", payment_date="2026-11-19", charge="400.00", paid="300.00", pr="100.00", clp07="C4", payer="DELTA")
    lz.claim(
        "E2",
        payment_date="2026-11-19",
        charge="500.00",
        paid="60.00",
        pr="90.00",
        clp07="S2",
        status="2",
        payer="CIGNA",
    )
    _delivery(
        lz,
        "patient_transactions",
        "20261120",
        [
            dict(
                transaction_id="T8",
                guarantor_id="G3",
                encounter_id="E3",
                posted_at="2026-11-19",
                type="payment",
                amount="40.00",
                updated_at="2026-11-19T12:00:00Z",
            ),
        ],
        D3,
    )
    _delivery(
        lz,
        "patient_transactions",
        "20261119",
        [
            dict(
                transaction_id="T2",
                guarantor_id="G1",
                encounter_id="E1",
                posted_at="2026-11-18",
                type="payment",
                amount="35.00",
                updated_at="2026-11-19T08:00:00Z",
            ),
            dict(
                transaction_id="T5",
                guarantor_id="G6",
                encounter_id="E5",
                posted_at="2026-10-20",
                type="payment",
                amount="25.00",
                updated_at="2026-11-18T12:00:00Z",
            ),
        ],
        D3,
    )
    wh = lz.build(D3)
    check("d3", wh, select="int_balance_ledger+")

    # a backfill of D2 on the same warehouse (every file already loaded)
    wh = lz.build(D2)
    check("backfill", wh, select="int_balance_ledger+")
    out["wh"] = wh
    return out


@pytest.mark.parametrize("name", ["d2", "d3", "backfill"])
def test_incremental_equals_a_build_from_scratch(days, name):
    _marks, diffs = days[name]
    assert diffs, "nothing compared"
    assert {t: n for t, n in diffs.items() if n} == {}


def test_the_days_move_the_balances(days):
    """The scenario does what it says: each change reached the ledger (else equality proves little)."""
    wh = days["wh"]
    ledger = (
        "SELECT guarantor_id, sum(amount) FROM intermediate.int_balance_ledger WHERE effective_date <= ? GROUP BY 1"
    )
    # after the backfill of D2 (as known on D2): G1 300 − 50 − 35 (T2 as corrected, Nov 18);
    # G2 the secondary's 90 from Nov 19 (it supersedes the primary, whatever the dates); G3
    # 120 − 40 (Nov 19); G4 100 (paid Nov 19); G5 nothing (E5 moved); G6 200 − 25 − 10; G7 80 − 30
    assert {g: str(v) for g, v in wh.rows(ledger, [D1])} == {
        "G1": "215.00",
        "G3": "120.00",
        "G6": "165.00",
        "G7": "50.00",
    }
    assert {g: str(v) for g, v in wh.rows(ledger, [D2])} == {
        "G1": "215.00",
        "G2": "90.00",
        "G3": "80.00",
        "G4": "100.00",
        "G6": "165.00",
        "G7": "50.00",
    }


def test_only_the_changed_guarantors_are_computed_again(days):
    """D2 recomputes G1 (a payment), G3 (a visit), G5 and G6 (E5 moved), G2 (a late claim);
    D3 recomputes G1 and G6 (the re-sent file carries T2 and T5 again), G2, G3, G4: G7 keeps
    its first build's rows."""
    assert days["d2"][0] == {"G1": D2, "G2": D2, "G3": D2, "G6": D2, "G7": D1}
    assert days["d3"][0] == {"G1": D3, "G2": D3, "G3": D3, "G4": D3, "G6": D3, "G7": D1}


def test_a_backfill_starts_again(days):
    assert set(days["backfill"][0].values()) == {D2}
