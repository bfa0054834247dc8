"""835 rows reach DuckDB exactly: money never narrowed or floated, held transactions kept."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.policy.policy import load_policy
from orchestration.raw import era_loader
from orchestration.raw.files import list_landing, sha256_of
from orchestration.raw.ingest import ingest
from orchestration.raw.schema import ERA_TABLES, ensure_schema
from tests.warehouse.harness import era_835


def test_amounts_of_any_size_load_exactly(tmp_path):
    era = tmp_path / "landing" / "era"
    era.mkdir(parents=True)
    small = [
        dict(
            eid="E1",
            status="1",
            charge="10.00",
            paid="7.50",
            pr="2.50",
            clp07="A",
            deductible=None,
            coinsurance=None,
            copay=None,
        )
    ]
    big = [
        dict(
            eid="E2",
            status="1",
            charge="1234567.89",
            paid="1000000.01",
            pr="234567.88",
            clp07="B",
            deductible=None,
            coinsurance=None,
            copay=None,
        )
    ]
    (era / "a.835").write_text(era_835("AETNA", "2026-09-01", small, control=1))
    (era / "b.835").write_text(era_835("AETNA", "2026-09-02", big, control=2))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ingest(con, tmp_path / "landing", load_policy(), today=date(2026, 11, 27))
    rows = con.execute(
        "SELECT patient_control_number, charge, paid, patient_responsibility, pr_deductible, "
        "payment_date FROM raw.remittance_claims ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("E1", Decimal("10.00"), Decimal("7.50"), Decimal("2.50"), Decimal("2.50"), date(2026, 9, 1)),
        (
            "E2",
            Decimal("1234567.89"),
            Decimal("1000000.01"),
            Decimal("234567.88"),
            Decimal("234567.88"),
            date(2026, 9, 2),
        ),
    ]
    assert con.execute("SELECT sum(payment_amount) FROM raw.remittance_transactions").fetchone()[0] == Decimal(
        "1000007.51"
    )


# ---------------------------------------------------------------------------------------------
# the batch loader: in-process and worker-pool paths load the same rows

FIXTURES = Path(__file__).parents[1] / "fixtures" / "x12"


def _claim(i: int, paid: str, pr: str, **kw) -> dict:
    return dict(
        eid=f"E{i}",
        status="1",
        charge="200.00",
        paid=paid,
        pr=pr,
        clp07=f"P{i}",
        deductible=kw.get("deductible"),
        coinsurance=kw.get("coinsurance"),
        copay=kw.get("copay"),
    )


def _messy_landing(root: Path) -> Path:
    """Every fixture (clean, bare, held, quarantined, warnings) plus generated files."""
    era = root / "landing" / "era"
    era.mkdir(parents=True)
    for f in sorted(FIXTURES.iterdir()):
        shutil.copy(f, era / f.name)
    for k in range(12):
        claims = [_claim(100 * k + i, f"{50 + i}.{k:02d}", f"{i % 7}.50", coinsurance=f"{i % 7}.50") for i in range(40)]
        (era / f"gen_{k:02d}.835").write_text(era_835("ACME", f"2026-09-{k + 1:02d}", claims, control=k + 1))
    odd = (
        (FIXTURES / "bare_st.835")
        .read_bytes()
        .replace(b"CLP*ENC-2001*1*150.00*100.00*50.00", b"CLP*ENC-2001*1*+150*1E2*50.")
    )
    (era / "odd_numbers.835").write_bytes(odd)
    return root / "landing"


def _load(landing: Path, db: Path) -> tuple[duckdb.DuckDBPyConnection, list]:
    files = list_landing(landing, "era")
    for f in files:
        f.sha256 = sha256_of(f.path)
    con = duckdb.connect(str(db))
    ensure_schema(con)
    con.execute("BEGIN TRANSACTION")
    outcomes = era_loader.load_era_files(con, files)
    con.execute("COMMIT")
    return con, outcomes


def _contents(con) -> dict:
    out = {}
    for table, cols in ERA_TABLES.items():
        names = ", ".join(c for c, _ in cols if c != "loaded_at")
        out[table] = con.execute(f"SELECT {names} FROM raw.{table}").fetchall()
    return out


def _verdicts(outcomes) -> list:
    return [
        (o.file.name, o.status, o.reason, o.rows_read, o.rows_loaded, o.rows_rejected, o.warnings) for o in outcomes
    ]


@pytest.mark.parametrize("spill", [True, False])
def test_worker_pool_loads_the_same_rows_as_in_process(tmp_path, monkeypatch, spill):
    landing = _messy_landing(tmp_path)
    monkeypatch.setattr(era_loader, "PARALLEL_MIN_BYTES", 10**12)
    serial, serial_out = _load(landing, tmp_path / "serial.duckdb")
    monkeypatch.setattr(era_loader, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(era_loader, "CHUNKS_PER_WORKER", 3)
    spill_root = tmp_path / "spill"
    if spill:
        spill_root.mkdir()
        (spill_root / "era_load_999999999_dead").mkdir()  # left by a load that was killed
    monkeypatch.setattr(era_loader, "SPILL_ROOT", str(spill_root))  # missing: tables pickled
    pooled, pooled_out = _load(landing, tmp_path / "pooled.duckdb")
    assert _verdicts(pooled_out) == _verdicts(serial_out)
    assert _contents(pooled) == _contents(serial)
    statuses = {o.file.path.name: o.status for o in serial_out}
    assert statuses["cut_short.835"] == "quarantined"
    assert statuses["gen_00.835"] == "loaded"
    assert pooled.execute("SELECT count(DISTINCT loaded_at) FROM raw.remittance_claims").fetchone()[0] == 1
    if spill:
        assert not list(spill_root.iterdir())  # the workers' Arrow files (and stale ones) gone


def test_batch_rows_and_verdicts(tmp_path, monkeypatch):
    monkeypatch.setattr(era_loader, "PARALLEL_MIN_BYTES", 0)
    con, outcomes = _load(_messy_landing(tmp_path), tmp_path / "w.duckdb")
    by_name = {o.file.path.name: o for o in outcomes}
    held = by_name["unbalanced.835"]
    assert (held.rows_read, held.rows_loaded, held.rows_rejected) == (3, 1, 2)
    assert any("held: unbalanced" in w for w in held.warnings)
    assert con.execute(
        "SELECT st_control_number, status FROM raw.remittance_transactions "
        "WHERE file_name = 'era/unbalanced.835' ORDER BY transaction_index"
    ).fetchall() == [("1001", "held"), ("1002", "loaded"), ("1003", "held")]
    assert (
        con.execute("SELECT count(*) FROM raw.remittance_claims WHERE file_name = 'era/unbalanced.835'").fetchone()[0]
        == 1
    )
    assert "ST 0001" in by_name["cut_short.835"].reason
    assert (
        con.execute(
            "SELECT count(*) FROM raw.remittance_transactions WHERE file_name = 'era/cut_short.835'"
        ).fetchone()[0]
        == 0
    )
    # stamps: every row carries its own file's SHA-256 (and name), also after a quarantined file
    landing = tmp_path / "landing"
    for table in ("remittance_transactions", "remittance_claims"):
        for name, sha in con.execute(f"SELECT DISTINCT file_name, file_sha256 FROM raw.{table}").fetchall():
            assert sha == sha256_of(landing / name)
    for table in ("remittance_adjustments", "remittance_service_lines"):
        orphans = con.execute(
            f"SELECT count(*) FROM raw.{table} a ANTI JOIN raw.remittance_claims c USING (file_sha256, claim_index)"
        ).fetchone()[0]
        assert orphans == 0
    gen = con.execute(
        "SELECT count(*), sum(patient_responsibility), sum(pr_coinsurance) "
        "FROM raw.remittance_claims WHERE file_name LIKE 'era/gen_%'"
    ).fetchone()
    expected = sum(Decimal(f"{i % 7}.50") for i in range(40)) * 12
    assert gen == (480, expected, expected)


def test_amounts_in_other_number_formats_load_as_their_value(tmp_path):
    era = tmp_path / "landing" / "era"
    era.mkdir(parents=True)
    data = (FIXTURES / "bare_st.835").read_bytes()
    data = data.replace(b"CLP*ENC-2001*1*150.00*100.00*50.00", b"CLP*ENC-2001*1*+150*1E2*50.").replace(
        b"CAS*PR*3*50.00~", b"CAS*PR*3*49.990**2*.01*1_0~"
    )
    (era / "a.835").write_bytes(data)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    outcomes = ingest(con, tmp_path / "landing", load_policy(), today=date(2026, 11, 27)).outcomes
    assert [o.status for o in outcomes] == ["loaded"]
    assert con.execute(
        "SELECT charge, paid, patient_responsibility, pr_coinsurance, pr_copay FROM raw.remittance_claims"
    ).fetchall() == [(Decimal("150.00"), Decimal("100.00"), Decimal("50.00"), Decimal("0.01"), Decimal("49.99"))]
    assert con.execute("SELECT amount, quantity FROM raw.remittance_adjustments ORDER BY reason_code").fetchall() == [
        (Decimal("0.01"), Decimal("10.0000")),
        (Decimal("49.99"), None),
    ]
