"""The row builders of the 835 reader build rows in COLUMNS order (the loader relies on it)."""

from __future__ import annotations

from orchestration.raw.x12.rows import (
    CLAIM,
    COLUMNS,
    PR_SUMS,
    SERVICE_LINE,
    new_claim,
    new_service_line,
    new_transaction,
)


def test_claim_row_in_column_order():
    e = ["CLP", " PCN1 ", "1", "100", "80", "20", "12", "ICN9"]
    row = new_claim(e, 3, 7, "100", "80", "20", "PAYER", None)
    assert dict(zip(COLUMNS["claims"], row, strict=False)) == {
        "transaction_index": 3,
        "claim_index": 7,
        "patient_control_number": "PCN1",
        "claim_status": "1",
        "charge": "100",
        "paid": "80",
        "patient_responsibility": "20",
        "claim_filing_indicator": "12",
        "payer_claim_control_number": "ICN9",
        "pr_deductible": "0",
        "pr_coinsurance": "0",
        "pr_copay": "0",
        "pr_other": "0",
        "service_date_start": None,
        "service_date_end": None,
        "payer_id": "PAYER",
        "payment_date": None,
    }
    assert CLAIM.service_date_start == COLUMNS["claims"].index("service_date_start")
    assert COLUMNS["claims"][PR_SUMS] == ("pr_deductible", "pr_coinsurance", "pr_copay", "pr_other")


def test_service_line_and_transaction_rows():
    row = new_service_line(7, 0, "HC:99213", "50", "40", "1")
    assert dict(zip(COLUMNS["service_lines"], row, strict=False)) == {
        "claim_index": 7,
        "service_line_index": 0,
        "procedure": "HC:99213",
        "charge": "50",
        "paid": "40",
        "units": "1",
        "service_date": None,
    }
    assert SERVICE_LINE.service_date == len(row) - 1
    assert tuple(new_transaction(0, "0001", "005010X221A1")) == COLUMNS["transactions"]


def test_the_reader_builds_the_same_rows_as_the_builders():
    """The hot loop inlines new_claim / new_service_line (a call per row costs ~2 %): same rows."""
    from datetime import date

    from orchestration.raw.x12 import parse_835_rows

    data = (
        b"ST*835*0001~BPR*I*80*C*ACH************20261120~TRN*1*T1~N1*PR*PAYER~"
        b"CLP*PCN1*1*100*80*20*12*ICN9~SVC*HC:99213*100*80**1~SE*7*0001~"
    )
    rows, _warnings, _txs = parse_835_rows(data)
    e = ["CLP", "PCN1", "1", "100", "80", "20", "12", "ICN9"]
    assert rows["claims"] == [tuple(new_claim(e, 0, 0, "100", "80", "20", "PAYER", date(2026, 11, 20)))]
    assert rows["service_lines"] == [tuple(new_service_line(0, 0, "HC:99213", "100", "80", "1"))]
