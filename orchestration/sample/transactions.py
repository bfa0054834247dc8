"""Patient-side postings (pm/patient_transactions): payments, adjustments, refunds, reversals.

Every flow of the patient side posts into one `TransactionLedger`; `transaction_table` numbers
the postings in time order (T000000001 is the earliest) and gives each a time of day.
"""

from __future__ import annotations

import numpy as np

from .ids import encounter_id_column, guarantor_id_column, sequence_id_column
from .ledger import Ledger
from .randomness import Randomness, seconds_of_day
from .table import LazyTable, TableRows, date_column, enum_column, id_column, money_column, timestamp_column
from .vocabulary import ADJUSTMENT, ADJUSTMENT_REASONS, PAYMENT, PAYMENT_METHODS, PORTAL, TEXT_TO_PAY, TRANSACTION_TYPES


class TransactionLedger(Ledger):
    """Postings as arrays: guarantor and encounter (-1: on account) positions, day number, type,
    reason, amount in cents, method, plan position (-1: none), and whether it was taken at the
    front desk on the day of the visit."""

    columns = ("guarantor", "encounter", "day", "type", "reason", "amount", "method", "plan", "front_desk")

    def add(
        self, *, guarantor, encounter, day, type, amount, reason=-1, method=-1, plan=-1, front_desk=False, mask=None
    ) -> None:
        """Post the rows of `mask` (all by default) whose amount is positive."""
        n = len(np.asarray(guarantor))
        keep = np.ones(n, bool) if mask is None else np.asarray(mask, bool)
        keep = keep & (np.broadcast_to(np.asarray(amount, np.int64), (n,)) > 0)
        self._append(
            dict(
                guarantor=guarantor,
                encounter=encounter,
                day=day,
                type=type,
                reason=reason,
                amount=amount,
                method=method,
                plan=plan,
                front_desk=front_desk,
            ),
            keep,
        )


def encounter_balances(n_encounters: int, responsibility, pending, postings: dict) -> np.ndarray:
    """What each encounter still owes (cents; negative: a credit): the patient's responsibility
    less payments and adjustments, plus refunds and reversals; 0 while adjudication is pending."""
    sign = np.where((postings["type"] == PAYMENT) | (postings["type"] == ADJUSTMENT), -1, 1)
    on_encounter = postings["encounter"] >= 0
    posted = np.bincount(
        postings["encounter"][on_encounter], weights=(sign * postings["amount"])[on_encounter], minlength=n_encounters
    )
    return np.where(pending, 0, responsibility + posted).astype(np.int64)


def transaction_table(
    rng: Randomness, postings: dict, visit_second: np.ndarray, as_of_day: int
) -> tuple[TableRows, dict]:
    """pm/patient_transactions, and the postings in id order. Portal and text-to-pay payments
    come in from 7:00 to 23:00, others in office hours; a front-desk payment ten minutes after
    the visit."""
    n = len(postings["guarantor"])
    online = np.isin(postings["method"], [PORTAL, TEXT_TO_PAY])
    second = np.where(online, rng.integers(7 * 3600, 23 * 3600 - 1, n), seconds_of_day(rng, n, 8, 18))
    second = np.where(
        postings["front_desk"] == 1, np.minimum(visit_second[np.maximum(postings["encounter"], 0)] + 600, 86399), second
    )
    order = np.lexsort((postings["encounter"], postings["guarantor"], second, postings["day"]))
    postings = {name: values[order] for name, values in postings.items()}
    second = second[order]
    assert (postings["day"] <= as_of_day).all() and (postings["amount"] > 0).all()
    plan = postings["plan"]
    rows = LazyTable(
        {
            "transaction_id": sequence_id_column("T", n, 9),
            "guarantor_id": guarantor_id_column(postings["guarantor"]),
            "encounter_id": encounter_id_column(postings["encounter"]),
            "posted_at": date_column(postings["day"]),
            "type": enum_column(TRANSACTION_TYPES, postings["type"]),
            "reason": enum_column(ADJUSTMENT_REASONS, postings["reason"]),
            "amount": money_column(postings["amount"]),
            "method": enum_column(PAYMENT_METHODS, postings["method"]),
            "plan_id": id_column("PP", np.where(plan >= 0, plan + 1, -1), 7),
            "updated_at": timestamp_column(postings["day"], second),
        }
    )
    return TableRows(rows, None, postings["day"], postings["day"]), postings
