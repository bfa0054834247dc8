"""What the collection agency reports back (ops/agency_activity) on accounts the clinic placed
under its earlier policy.

Placed 95+ days after the balance was set and acknowledged 1-3 days later; within 10-45 days
35% pay in full (payment, then closed_paid), 20% in part; 10% are closed uncollectible after
2-4 months (the clinic writes the balance off as bad debt); 7% are recalled.
"""

from __future__ import annotations

import numpy as np

from .accounts import FlowAccounts
from .ids import encounter_id_column, guarantor_id_column, sequence_id_column
from .randomness import Randomness, seconds_of_day
from .table import LazyTable, TableRows, enum_column, id_column, money_column, timestamp_column
from .transactions import TransactionLedger
from .vocabulary import (
    ACKNOWLEDGED,
    ADJUSTMENT,
    AGENCY,
    AGENCY_EVENTS,
    AGENCY_PAYMENT,
    BAD_DEBT,
    CLOSED_PAID,
    CLOSED_UNCOLLECTIBLE,
    PAYMENT,
    RECALL_ACK,
)


def place_with_agency(
    rng: Randomness, postings: TransactionLedger, accounts: FlowAccounts, as_of_day: int
) -> TableRows:
    n, due = accounts.count, accounts.due
    guarantor, encounter, settled = accounts.guarantor, accounts.encounter, accounts.settled_day
    placed = np.minimum(settled + rng.integers(95, np.maximum(as_of_day - settled - 20, 95)), as_of_day - 5)
    no_amount = np.full(n, -1)
    events = [(ACKNOWLEDGED, placed + rng.integers(1, 3, n), no_amount, np.ones(n, bool))]
    fate = rng.uniform(n)
    pay_day = placed + rng.integers(10, 45, n)
    in_full = (fate < 0.35) & (pay_day <= as_of_day)
    in_part = (fate >= 0.35) & (fate < 0.55) & (pay_day <= as_of_day)
    amount = np.where(in_full, due, np.round(due * (0.3 + 0.3 * rng.uniform(n))).astype(np.int64))
    pays = in_full | in_part
    events += [(AGENCY_PAYMENT, pay_day, amount, pays), (CLOSED_PAID, pay_day, no_amount, in_full)]
    postings.add(
        guarantor=guarantor, encounter=encounter, day=pay_day, type=PAYMENT, amount=amount, method=AGENCY, mask=pays
    )
    closed_day = placed + rng.integers(60, 120, n)
    uncollectible = (fate >= 0.55) & (fate < 0.65) & (closed_day <= as_of_day)
    events.append((CLOSED_UNCOLLECTIBLE, closed_day, no_amount, uncollectible))
    postings.add(
        guarantor=guarantor,
        encounter=encounter,
        day=closed_day,
        type=ADJUSTMENT,
        reason=BAD_DEBT,
        amount=due,
        mask=uncollectible,
    )
    recall_day = placed + rng.integers(10, 40, n)
    recalled = (fate >= 0.65) & (fate < 0.72) & (recall_day <= as_of_day)
    events.append((RECALL_ACK, recall_day, no_amount, recalled))
    return _activity_table(rng, accounts, events, as_of_day)


def _activity_table(rng: Randomness, accounts: FlowAccounts, events: list[tuple], as_of_day: int) -> TableRows:
    """The events (event code, day, amount (-1: none), which placements) reported by the as-of
    date, in time order; rows never change."""
    placement = np.concatenate([np.flatnonzero(which) for _, _, _, which in events])
    event = np.concatenate([np.full(which.sum(), code) for code, _, _, which in events])
    day = np.concatenate([days[which] for _, days, _, which in events])
    amount = np.concatenate([amounts[which] for _, _, amounts, which in events])
    reported = day <= as_of_day
    placement, event, day, amount = placement[reported], event[reported], day[reported], amount[reported]
    order = np.lexsort((event, placement, day))
    placement, event, day, amount = placement[order], event[order], day[order], amount[order]
    second = seconds_of_day(rng, len(placement), 8, 18)
    rows = LazyTable(
        {
            "activity_id": sequence_id_column("AA", len(placement), 8),
            "placement_id": id_column("PL", placement + 1, 7),
            "guarantor_id": guarantor_id_column(accounts.guarantor[placement]),
            "encounter_id": encounter_id_column(accounts.encounter[placement]),
            "event": enum_column(AGENCY_EVENTS, event),
            "occurred_at": timestamp_column(day, second),
            "amount": money_column(np.maximum(amount, 0), empty=amount < 0),
            "updated_at": timestamp_column(day, second),
        }
    )
    return TableRows(rows, None, day, day)
