"""835 rows reach DuckDB exactly: money never narrowed or floated, held transactions kept."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb

from orchestration.policy.policy import load_policy
from orchestration.raw.ingest import ingest
from tests.warehouse.harness import era_835


def test_amounts_of_any_size_load_exactly(tmp_path):
    era = tmp_path / "landing" / "era"
    era.mkdir(parents=True)
    small = [dict(eid="E1", status="1", charge="10.00", paid="7.50", pr="2.50", clp07="A",
                  deductible=None, coinsurance=None, copay=None)]
    big = [dict(eid="E2", status="1", charge="1234567.89", paid="1000000.01", pr="234567.88", clp07="B",
                deductible=None, coinsurance=None, copay=None)]
    (era / "a.835").write_text(era_835("AETNA", "2026-09-01", small, control=1))
    (era / "b.835").write_text(era_835("AETNA", "2026-09-02", big, control=2))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ingest(con, tmp_path / "landing", load_policy(), today=date(2026, 11, 27))
    rows = con.execute("SELECT patient_control_number, charge, paid, patient_responsibility, pr_deductible, "
                       "payment_date FROM raw.remittance_claims ORDER BY 1").fetchall()
    assert rows == [
        ("E1", Decimal("10.00"), Decimal("7.50"), Decimal("2.50"), Decimal("2.50"), date(2026, 9, 1)),
        ("E2", Decimal("1234567.89"), Decimal("1000000.01"), Decimal("234567.88"), Decimal("234567.88"),
         date(2026, 9, 2)),
    ]
    assert con.execute("SELECT sum(payment_amount) FROM raw.remittance_transactions").fetchone()[0] \
        == Decimal("1000007.51")
