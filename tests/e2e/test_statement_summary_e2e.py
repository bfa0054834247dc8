"""Statements of the real daily job read back from their PDFs: the summary box reconciles to the
cent for single- and multi-visit guarantors, its amounts are the warehouse's visit lines
(marts.fct_touch_visits), and "why you owe" is the 835's CAS group PR split of your portion."""

from __future__ import annotations

import csv
import os
from decimal import Decimal as D
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.actions.test_statement_summary import BOX, amount, assert_reconciles
from tests.e2e.conftest import AS_OF, query

pytestmark = [pytest.mark.e2e, pytest.mark.session_clinic]


def test_every_statement_box_reconciles_with_the_warehouse(first_run):
    folder = Path(os.environ["COLLECTIONS_OUTBOX_DIR"]) / AS_OF.isoformat() / "statements"
    rows = list(csv.DictReader((folder / "manifest.csv").open()))
    visits: dict[str, list] = {}
    for r in query(
        "SELECT touch_id, charge, insurance_paid, plan_adjustments, patient_portion, "
        "pr_deductible + pr_coinsurance + pr_copay + pr_other, responsibility_status "
        "FROM marts.fct_touch_visits"
    ):
        visits.setdefault(r[0], []).append(r[1:])
    seen = {"single": 0, "multi": 0}
    for row in rows:
        lines = PdfReader(str(folder / row["file"])).pages[0].extract_text().splitlines()
        if "Summary" not in lines:  # a final notice goes the statement path
            continue
        start = lines.index("Summary")
        box = {lines[i]: amount(lines[i + 1]) for i in range(start + 1, start + 13, 2)}
        assert list(box) == list(BOX)
        assert_reconciles(box)
        assert box["Amount due"] == D(row["amount_due"])
        total = next(ln for ln in lines if ln.startswith("Total, "))
        seen["single" if total == "Total, 1 visit" else "multi"] += 1
        mine = visits.get(row["touch_id"])
        if mine is None:  # a later test of the session rebuilt the marts for another day
            continue
        assert box["Charges"] == sum(v[0] for v in mine)
        assert box["Insurance paid"] == -sum(v[1] for v in mine)
        assert box["Plan adjustments"] == -sum(v[2] for v in mine)
        assert box["Your portion"] == sum(v[3] for v in mine)
        # insured visits: the PR reasons add up to the payer's patient responsibility
        assert all(v[4] == v[3] for v in mine if v[5] == "adjudicated")
    assert seen["single"] and seen["multi"], seen
