"""defect_rows: a file without a required column, and bad rows at their documented lines
between good ones."""

from __future__ import annotations

import csv

from orchestration.landing.contract import CSV_BY_NAME
from orchestration.sample.defect_catalogue import DEFECTS
from tests.sample.landing_reader import read_kind


def test_missing_column(sample_clinic):
    root, _ = sample_clinic
    with (root / "pm/guarantors_defect_missing_column.csv").open() as fh:
        assert "last_name" not in next(csv.reader(fh))


def test_bad_rows_at_documented_lines(sample_clinic):
    root, _ = sample_clinic
    # row defects sit at the documented lines, good rows beside them
    for d in DEFECTS:
        if d["line"] is None:
            continue
        key = CSV_BY_NAME[d["kind"]].key
        with (root / d["file"]).open(newline="") as fh:
            rows = list(csv.reader(fh))
        header, row = rows[0], rows[d["line"] - 1]
        assert row[header.index(key)] == d["bad_ids"][0], d
        ids = [r[header.index(key)] for r in rows[1:]]
        assert set(d["good_ids"]) <= set(ids)
        assert len(d["good_ids"]) >= 3
    text = (root / "pm/patient_transactions_defect_rows.csv").read_text()
    for bad in ("$1,200.00", '"1,200.00"', "gift", "bitcoin", "2026-13-45", "-50.00"):
        assert bad in text
    assert ",ZZ," in (root / "pm/guarantors_defect_rows.csv").read_text()


def test_reused_key_and_good_payments(sample_clinic):
    root, summary = sample_clinic
    # the reused key exists as a valid history row
    hist_ids = {r["transaction_id"] for r in read_kind(root, "patient_transactions", "history")}
    assert "T000000001" in hist_ids
    assert summary["defects"]["patient_transactions_good"] == [f"TDEF-GOOD-{i}" for i in range(1, 5)]
