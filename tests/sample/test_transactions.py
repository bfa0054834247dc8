"""transactions: the postings ledger and the encounter balances it gives."""

from __future__ import annotations

import numpy as np

from orchestration.sample.transactions import TransactionLedger, encounter_balances
from orchestration.sample.vocabulary import ADJUSTMENT, PAYMENT, PAYMENT_REVERSAL, REFUND


def test_ledger_keeps_masked_rows_with_positive_amounts():
    ledger = TransactionLedger()
    ledger.add(
        guarantor=[0, 1, 2], encounter=[0, 1, 2], day=5, type=PAYMENT, amount=[100, 0, 300], mask=[True, True, False]
    )
    ledger.add(guarantor=[1], encounter=-1, day=6, type=REFUND, amount=[50], front_desk=True)
    rows = ledger.arrays()
    assert rows["guarantor"].tolist() == [0, 1] and rows["encounter"].tolist() == [0, -1]
    assert rows["amount"].tolist() == [100, 50] and rows["front_desk"].tolist() == [0, 1]
    assert rows["plan"].tolist() == [-1, -1]


def test_balances_lower_with_payments_and_adjustments_and_rise_with_refunds_and_reversals():
    ledger = TransactionLedger()
    ledger.add(
        guarantor=[0, 0, 0, 0, 1],
        encounter=[0, 0, 0, 0, -1],
        day=1,
        type=[PAYMENT, ADJUSTMENT, REFUND, PAYMENT_REVERSAL, PAYMENT],
        amount=[5000, 1000, 700, 300, 999],
    )
    balances = encounter_balances(2, np.array([8000, 4000]), np.array([False, True]), ledger.arrays())
    assert balances.tolist() == [8000 - 5000 - 1000 + 700 + 300, 0]
