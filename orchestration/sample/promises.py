"""Agreements made on the phone before the pipeline: promises to pay and settlements.

A promise (10-60 days after the balance was set) is logged in the contact log with its amount
and date; 60% are kept, by the promised date or two days after. A silent guarantor owing for
120+ days may settle: pay 60-85% on one call, the rest adjusted away.
"""

from __future__ import annotations

import numpy as np

from .accounts import FlowAccounts
from .contact_log import ContactLedger, draw_agents
from .randomness import Randomness, seconds_of_day
from .transactions import TransactionLedger
from .vocabulary import (
    ADJUSTMENT,
    CALL,
    CARD,
    CONNECTED,
    INBOUND,
    INBOUND_CALL,
    OUTBOUND,
    PAYMENT,
    PHONE,
    PORTAL,
    PROMISE_TO_PAY,
    SETTLEMENT,
    TEXT_TO_PAY,
)


def promise_to_pay(
    rng: Randomness, postings: TransactionLedger, contacts: ContactLedger, accounts: FlowAccounts, as_of_day: int
) -> None:
    n, due = accounts.count, accounts.due
    day = np.minimum(
        accounts.settled_day + rng.integers(10, np.minimum(60, as_of_day - accounts.settled_day)), as_of_day
    )
    part = np.maximum(np.round(due * (0.3 + 0.4 * rng.uniform(n)) / 1000).astype(np.int64) * 1000, 2500)
    amount = np.where(rng.chance(0.6, n) | (due <= 2500), due, np.minimum(part, due))
    promised_day = day + rng.integers(3, 21, n)
    inbound = rng.chance(0.3, n)
    contacts.add(
        guarantor=accounts.guarantor,
        day=day,
        second=seconds_of_day(rng, n, 9, 19),
        channel=np.where(inbound, INBOUND_CALL, CALL),
        direction=np.where(inbound, INBOUND, OUTBOUND),
        outcome=PROMISE_TO_PAY,
        promised_amount=amount,
        promised_day=promised_day,
        agent=draw_agents(rng, n),
    )
    kept = rng.chance(0.6, n)
    pay_day = day + rng.integers(0, promised_day - day + 2)
    postings.add(
        guarantor=accounts.guarantor,
        encounter=accounts.encounter,
        day=pay_day,
        type=PAYMENT,
        amount=amount,
        method=np.array([PHONE, PORTAL, CARD, TEXT_TO_PAY])[rng.integers(0, 3, n)],
        mask=kept & (pay_day <= as_of_day),
    )


def settle(
    rng: Randomness, postings: TransactionLedger, contacts: ContactLedger, accounts: FlowAccounts, as_of_day: int
) -> None:
    n, due = accounts.count, accounts.due
    day = accounts.settled_day + rng.integers(120, as_of_day - accounts.settled_day)
    paid = np.round(due * (0.6 + 0.25 * rng.uniform(n))).astype(np.int64)
    postings.add(
        guarantor=accounts.guarantor,
        encounter=accounts.encounter,
        day=day,
        type=PAYMENT,
        amount=paid,
        method=np.array([PHONE, CARD])[rng.integers(0, 1, n)],
    )
    postings.add(
        guarantor=accounts.guarantor,
        encounter=accounts.encounter,
        day=day,
        type=ADJUSTMENT,
        reason=SETTLEMENT,
        amount=due - paid,
    )
    contacts.add(
        guarantor=accounts.guarantor,
        day=day,
        second=seconds_of_day(rng, n, 9, 17),
        channel=CALL,
        direction=OUTBOUND,
        outcome=CONNECTED,
        agent=draw_agents(rng, n),
    )
