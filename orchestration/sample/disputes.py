"""Disputes (ops/disputes): a guarantor contests a bill, the clinic resolves it (or not yet).

Opened 3-45 days after the balance was set, by phone, portal, e-mail or letter (10% about the
account rather than one visit); 65% resolved 2-45 days later. Upheld: the balance is adjusted
away; corrected: part of it, and the patient usually pays the rest; rejected or withdrawn: the
patient often pays.
"""

from __future__ import annotations

import numpy as np

from .accounts import FlowAccounts
from .contact_log import ContactLedger, draw_agents
from .ids import encounter_id_column, guarantor_id_column, sequence_id_column
from .randomness import Randomness, seconds_of_day
from .table import LazyTable, TableRows, enum_column, timestamp_column
from .transactions import TransactionLedger
from .vocabulary import (
    ADJUSTMENT,
    ADMIN,
    CARD,
    CHECK,
    CORRECTED,
    DISPUTE_RAISED,
    DISPUTE_REASONS,
    DISPUTE_RESOLUTIONS,
    EMAIL,
    INBOUND,
    INBOUND_CALL,
    LETTER,
    PAYMENT,
    PHONE,
    PORTAL,
    PORTAL_MESSAGE,
    REJECTED,
    UPHELD,
    WITHDRAWN,
)

# the channel column is free text in the contract; the sample's PM system records these
DISPUTE_CHANNELS = ["inbound_call", "portal", "email", "letter"]
CONTACT_CHANNEL_OF_DISPUTE = (INBOUND_CALL, PORTAL_MESSAGE, EMAIL, LETTER)


def open_disputes(
    rng: Randomness, postings: TransactionLedger, contacts: ContactLedger, accounts: FlowAccounts, as_of_day: int
) -> TableRows:
    n, due = accounts.count, accounts.due
    guarantor, encounter = accounts.guarantor, accounts.encounter
    opened = np.minimum(
        accounts.settled_day + rng.integers(3, np.minimum(45, as_of_day - accounts.settled_day)), as_of_day
    )
    opened_second = seconds_of_day(rng, n, 8, 19)
    reason = rng.integers(0, len(DISPUTE_REASONS) - 1, n)
    channel = rng.choice(len(DISPUTE_CHANNELS), [0.45, 0.3, 0.15, 0.1], n)
    resolved_day = opened + rng.integers(2, 45, n)
    resolved = rng.chance(0.65, n) & (resolved_day <= as_of_day)
    resolution = np.where(resolved, rng.choice(4, [0.25, 0.3, 0.3, 0.15], n), -1)
    resolved_second = np.where(resolved, seconds_of_day(rng, n, 9, 18), 0)
    resolved_second = np.where(
        resolved & (resolved_day == opened), np.maximum(resolved_second, opened_second + 60), resolved_second
    )
    about_account = rng.chance(0.1, n)
    corrected_amount = np.round(due * (0.2 + 0.4 * rng.uniform(n))).astype(np.int64)
    upheld, corrected = resolution == UPHELD, resolution == CORRECTED
    rejected, withdrawn = resolution == REJECTED, resolution == WITHDRAWN
    postings.add(
        guarantor=guarantor,
        encounter=encounter,
        day=resolved_day,
        type=ADJUSTMENT,
        reason=ADMIN,
        amount=np.where(upheld, due, corrected_amount),
        mask=upheld | corrected,
    )
    pay_day = resolved_day + np.where(withdrawn, rng.integers(0, 10, n), rng.integers(5, 60, n))
    pays = corrected & rng.chance(0.6, n) | rejected & rng.chance(0.5, n) | withdrawn & rng.chance(0.7, n)
    postings.add(
        guarantor=guarantor,
        encounter=encounter,
        day=pay_day,
        type=PAYMENT,
        amount=np.where(corrected, due - corrected_amount, due),
        method=np.array([PORTAL, PHONE, CARD, CHECK])[rng.integers(0, 3, n)],
        mask=pays & (pay_day <= as_of_day),
    )
    contact_channel = np.array(CONTACT_CHANNEL_OF_DISPUTE)[channel]
    contacts.add(
        guarantor=guarantor,
        day=opened,
        second=opened_second - 120,
        channel=contact_channel,
        direction=INBOUND,
        outcome=DISPUTE_RAISED,
        agent=np.where(contact_channel == INBOUND_CALL, draw_agents(rng, n), -1),
    )
    updated_day = np.where(resolved, resolved_day, opened)
    rows = LazyTable(
        {
            "dispute_id": sequence_id_column("DSP", n, 7),
            "guarantor_id": guarantor_id_column(guarantor),
            "encounter_id": encounter_id_column(np.where(about_account, -1, encounter)),
            "opened_at": timestamp_column(opened, opened_second),
            "channel": enum_column(DISPUTE_CHANNELS, channel),
            "reason": enum_column(DISPUTE_REASONS, reason),
            "resolved_at": timestamp_column(np.where(resolved, resolved_day, -1), resolved_second),
            "resolution": enum_column(DISPUTE_RESOLUTIONS, resolution),
            "updated_at": timestamp_column(updated_day, np.where(resolved, resolved_second, opened_second)),
        }
    )
    previous = rows.replace(
        resolved_at=timestamp_column(np.full(n, -1), resolved_second),
        resolution=enum_column(DISPUTE_RESOLUTIONS, np.full(n, -1)),
        updated_at=timestamp_column(opened, opened_second),
    )
    return TableRows(rows, previous, updated_day, opened)
