"""Hardship applications (ops/hardship): a guarantor asks for relief, the clinic decides.

Submitted 10-90 days after the balance was set (on an inbound call), decided 3-21 days later:
65% approved for 6-12 months of support, mostly as a reduction (a 25-100% discount posted as
a hardship adjustment), else a longer timeline or a lower minimum payment. Many then pay the
rest.
"""

from __future__ import annotations

import numpy as np

from .accounts import FlowAccounts
from .contact_log import ContactLedger, draw_agents
from .dates import add_months
from .ids import guarantor_id_column, sequence_id_column
from .randomness import Randomness, seconds_of_day
from .table import LazyTable, TableRows, date_column, enum_column, id_column, int_column, timestamp_column
from .transactions import TransactionLedger
from .vocabulary import (
    ADJUSTMENT,
    CHECK,
    CONNECTED,
    HARDSHIP_APPROVED,
    HARDSHIP_DENIED,
    HARDSHIP_DISCOUNT,
    HARDSHIP_OUTCOMES,
    HARDSHIP_PENDING,
    HARDSHIP_RELIEFS,
    INBOUND,
    INBOUND_CALL,
    PAYMENT,
    PHONE,
    PORTAL,
    REDUCTION,
)


def apply_for_hardship(
    rng: Randomness, postings: TransactionLedger, contacts: ContactLedger, accounts: FlowAccounts, as_of_day: int
) -> TableRows:
    n, due = accounts.count, accounts.due
    guarantor, encounter = accounts.guarantor, accounts.encounter
    submitted = np.minimum(
        accounts.settled_day + rng.integers(10, np.minimum(90, as_of_day - accounts.settled_day)), as_of_day
    )
    submitted_second = seconds_of_day(rng, n, 8, 19)
    decided_day = submitted + rng.integers(3, 21, n)
    decided = decided_day <= as_of_day
    approved = decided & rng.chance(0.65, n)
    outcome = np.where(~decided, HARDSHIP_PENDING, np.where(approved, HARDSHIP_APPROVED, HARDSHIP_DENIED))
    relief = np.where(approved, rng.choice(3, [0.55, 0.3, 0.15], n), -1)
    discount_pct = np.array([25, 50, 75, 100])[rng.choice(4, [0.3, 0.35, 0.2, 0.15], n)]
    discount_pct = np.where(relief == REDUCTION, discount_pct, -1)
    support_months = rng.integers(6, 12, n)
    support_start = np.where(approved, decided_day, -1)
    support_end = np.where(approved, add_months(decided_day, support_months), -1)
    decided_second = np.where(decided, seconds_of_day(rng, n, 9, 17), 0)
    decided_second = np.where(
        decided & (decided_day == submitted), np.maximum(decided_second, submitted_second + 60), decided_second
    )
    discount = np.where(relief == REDUCTION, np.round(due * np.maximum(discount_pct, 0) / 100).astype(np.int64), 0)
    postings.add(
        guarantor=guarantor,
        encounter=encounter,
        day=decided_day,
        type=ADJUSTMENT,
        reason=HARDSHIP_DISCOUNT,
        amount=discount,
        mask=relief == REDUCTION,
    )
    pay_day = decided_day + rng.integers(20, 90, n)
    pays = (
        decided
        & (pay_day <= as_of_day)
        & np.where(approved, rng.chance(0.5, n), rng.chance(0.4, n))
        & (due - discount > 0)
    )
    postings.add(
        guarantor=guarantor,
        encounter=encounter,
        day=pay_day,
        type=PAYMENT,
        amount=due - discount,
        method=np.array([PORTAL, PHONE, CHECK])[rng.integers(0, 2, n)],
        mask=pays,
    )
    contacts.add(
        guarantor=guarantor,
        day=submitted,
        second=submitted_second - 600,
        channel=INBOUND_CALL,
        direction=INBOUND,
        outcome=CONNECTED,
        agent=draw_agents(rng, n),
    )
    updated_day = np.where(decided, decided_day, submitted)
    rows = LazyTable(
        {
            "application_id": sequence_id_column("HA", n, 7),
            "guarantor_id": guarantor_id_column(guarantor),
            "submitted_at": timestamp_column(submitted, submitted_second),
            "decided_at": timestamp_column(np.where(decided, decided_day, -1), decided_second),
            "outcome": enum_column(HARDSHIP_OUTCOMES, outcome),
            "relief": enum_column(HARDSHIP_RELIEFS, relief),
            "discount_pct": int_column(discount_pct),
            "support_start": date_column(support_start),
            "support_end": date_column(support_end),
            "verified_by": id_column("S", np.where(decided, rng.integers(1, 12, n), -1), 3),
            "updated_at": timestamp_column(updated_day, np.where(decided, decided_second, submitted_second)),
        }
    )
    undecided = np.full(n, -1)
    previous = rows.replace(
        decided_at=timestamp_column(undecided, decided_second),
        outcome=enum_column(HARDSHIP_OUTCOMES, np.full(n, HARDSHIP_PENDING)),
        relief=enum_column(HARDSHIP_RELIEFS, undecided),
        discount_pct=int_column(undecided),
        support_start=date_column(undecided),
        support_end=date_column(undecided),
        verified_by=id_column("S", undecided, 3),
        updated_at=timestamp_column(submitted, submitted_second),
    )
    return TableRows(rows, previous, updated_day, submitted)
