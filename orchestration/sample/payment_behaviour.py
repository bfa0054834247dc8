"""How patients pay what the insurers leave them, outside any special flow.

At the visit the front desk collects copays (sometimes too much) and self-pay deposits; a
credit is refunded once the claim settles. After that each guarantor behaves one way: fast
payers pay within days (some in two parts, a few twice by mistake, refunded; a few before the
secondary paid, refunded the difference; prompt-pay discounts on large balances), slow payers
in one to five informal instalments (the last one sometimes never comes), silent ones not at
all. Small balances of slow and silent payers are written off; a few accounts get an admin
adjustment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .adjudication import Adjudication
from .encounters import Encounters
from .randomness import Randomness
from .transactions import TransactionLedger
from .vocabulary import (
    ADJUSTMENT,
    ADMIN,
    CARD,
    CARD_ON_FILE,
    CASH,
    CHECK,
    PAYMENT,
    PHONE,
    PORTAL,
    PROMPT_PAY,
    REFUND,
    SMALL_BALANCE,
    TEXT_TO_PAY,
)

FAST, SLOW, SILENT = range(3)  # a guarantor's payment behaviour
BEHAVIOUR_WEIGHTS = [0.42, 0.34, 0.24]


@dataclass(eq=False)
class Owed:
    """Per encounter, once the claim settled: what the patient owes after the front desk."""

    guarantor: np.ndarray
    settled_day: np.ndarray  # -1: pending
    due: np.ndarray  # cents; negative: a credit; 0 while pending
    front_desk_paid: np.ndarray

    @property
    def settled(self) -> np.ndarray:
        return self.settled_day >= 0

    @property
    def open(self) -> np.ndarray:
        return self.settled & (self.due > 0)


def front_desk(
    rng: Randomness, postings: TransactionLedger, encounters: Encounters, adjudication: Adjudication, as_of_day: int
) -> Owed:
    """Copays and deposits at the visit; credits they leave refunded 3-20 days after the claim
    settled (85%)."""
    n, insured, plan_copay = encounters.count, encounters.insured, adjudication.primary.copay_plan
    copay = np.where(insured & (plan_copay > 0) & rng.chance(0.8, n), plan_copay, 0)
    estimated = insured & (plan_copay == 0) & rng.chance(0.08, n)
    copay = np.where(estimated, np.array([2500, 3000, 4000, 5000])[rng.integers(0, 3, n)], copay)
    copay = np.where(copay > 0, np.where(rng.chance(0.1, n), copay + 1000, copay), copay)  # over-collected
    deposit = np.where(
        ~insured & rng.chance(0.2, n),
        np.round(encounters.charge * (0.2 + 0.3 * rng.uniform(n)) / 100).astype(np.int64) * 100,
        0,
    )
    paid = copay + deposit
    method = rng.pick((CARD, CASH, CHECK), [0.7, 0.2, 0.1], n)
    guarantor, encounter = encounters.guarantor, np.arange(n)
    postings.add(
        guarantor=guarantor,
        encounter=encounter,
        day=encounters.service_day,
        type=PAYMENT,
        amount=paid,
        method=method,
        front_desk=True,
    )
    settled_day = adjudication.settled_day
    due = np.where(adjudication.pending, 0, adjudication.responsibility - paid)
    credit = ~adjudication.pending & (settled_day >= 0) & (due < 0)
    refund_day = settled_day + rng.integers(3, 20, n)
    postings.add(
        guarantor=guarantor,
        encounter=encounter,
        day=refund_day,
        type=REFUND,
        amount=-due,
        method=np.where(method == CARD, CARD, CHECK),
        mask=credit & (refund_day <= as_of_day) & rng.chance(0.85, n),
    )
    return Owed(guarantor, settled_day, due, paid)


def pay_as_usual(
    rng: Randomness,
    postings: TransactionLedger,
    owed: Owed,
    behaviour: np.ndarray,
    usual: np.ndarray,
    adjudication: Adjudication,
    as_of_day: int,
) -> None:
    """The encounters `usual` (open, in no special flow) paid according to their guarantor's
    `behaviour` (per encounter)."""
    n = len(owed.due)
    fast_method = rng.pick((TEXT_TO_PAY, PORTAL, CARD, PHONE, CARD_ON_FILE), [0.35, 0.25, 0.25, 0.1, 0.05], n)
    slow_method = rng.pick((CHECK, PHONE, PORTAL, CARD, CASH), [0.35, 0.25, 0.2, 0.15, 0.05], n)
    due = _admin_adjustments(rng, postings, owed, usual & (behaviour != FAST), as_of_day)
    fast = usual & (behaviour == FAST)
    early = _pay_before_secondary(rng, postings, owed, fast, fast_method, adjudication, as_of_day)
    _pay_promptly(rng, postings, owed, due, fast & ~early, fast_method, as_of_day)
    slow = usual & (behaviour == SLOW)
    left = _pay_in_parts(rng, postings, owed, due, slow, slow_method, as_of_day)
    small_day = owed.settled_day + rng.integers(30, 60, n)
    small = usual & (behaviour != FAST) & (due > 0) & (due < 700) & (small_day <= as_of_day) & rng.chance(0.6, n)
    small &= ~(slow & (left < due))  # untouched small balances only
    postings.add(
        guarantor=owed.guarantor,
        encounter=np.arange(n),
        day=small_day,
        type=ADJUSTMENT,
        reason=SMALL_BALANCE,
        amount=due,
        mask=small,
    )


def _admin_adjustments(
    rng: Randomness, postings: TransactionLedger, owed: Owed, eligible: np.ndarray, as_of_day: int
) -> np.ndarray:
    """1.2% of slow and silent payers' balances partly adjusted (admin) 2-20 days after they
    settled, before any payment; returns what is then due."""
    n, due = len(owed.due), owed.due
    adjusted = eligible & rng.chance(0.012, n)
    amount = np.where(adjusted, np.round(due * (0.1 + 0.4 * rng.uniform(n))).astype(np.int64), 0)
    day = owed.settled_day + rng.integers(2, 20, n)
    adjusted &= day <= as_of_day
    amount = np.where(adjusted, amount, 0)
    postings.add(
        guarantor=owed.guarantor,
        encounter=np.arange(n),
        day=day,
        type=ADJUSTMENT,
        reason=ADMIN,
        amount=amount,
        mask=adjusted,
    )
    return due - amount


def _pay_before_secondary(
    rng: Randomness,
    postings: TransactionLedger,
    owed: Owed,
    fast: np.ndarray,
    method,
    adjudication: Adjudication,
    as_of_day: int,
) -> np.ndarray:
    """30% of fast payers whose secondary pays 3+ days after the primary pay the primary's
    share in between, and get the difference refunded after the secondary. Returns who."""
    n, primary, secondary = len(owed.due), adjudication.primary, adjudication.secondary
    gap = secondary.day - primary.day
    early = (
        fast
        & secondary.adjudicated
        & (gap >= 3)
        & rng.chance(0.3, n)
        & (primary.responsibility - owed.front_desk_paid > 0)
        & (primary.responsibility > secondary.responsibility)
    )
    encounter = np.arange(n)
    postings.add(
        guarantor=owed.guarantor,
        encounter=encounter,
        day=primary.day + rng.integers(1, np.maximum(gap - 1, 1)),
        type=PAYMENT,
        amount=primary.responsibility - owed.front_desk_paid,
        method=method,
        mask=early,
    )
    refund_day = secondary.day + rng.integers(3, 20, n)
    postings.add(
        guarantor=owed.guarantor,
        encounter=encounter,
        day=refund_day,
        type=REFUND,
        amount=primary.responsibility - secondary.responsibility,
        method=np.where(method == CHECK, CHECK, CARD),
        mask=early & (refund_day <= as_of_day),
    )
    return early


def _pay_promptly(
    rng: Randomness, postings: TransactionLedger, owed: Owed, due: np.ndarray, fast: np.ndarray, method, as_of_day: int
) -> None:
    """Within 12 days; 5% prompt-pay discount on some balances of $150+ paid within a week;
    15% of balances of $60+ in two parts (the rest by card within 10 days); 1.5% paid twice
    by mistake, the second payment refunded."""
    n, settled_day = len(owed.due), owed.settled_day
    encounter = np.arange(n)
    day = settled_day + np.minimum(rng.numpy.geometric(0.3, n), 12)
    prompt = fast & (due >= 15000) & (day - settled_day <= 7) & rng.chance(0.12, n)
    discount = np.where(prompt, np.round(due * 0.05).astype(np.int64), 0)
    pays = fast & (day <= as_of_day)
    postings.add(
        guarantor=owed.guarantor,
        encounter=encounter,
        day=day,
        type=ADJUSTMENT,
        reason=PROMPT_PAY,
        amount=discount,
        mask=pays & prompt,
    )
    payable = due - discount
    split = pays & (payable >= 6000) & rng.chance(0.15, n)
    first_part = np.where(split, np.round(payable * (0.3 + 0.4 * rng.uniform(n)) / 100).astype(np.int64) * 100, payable)
    second_day = day + rng.integers(0, 10, n)
    postings.add(
        guarantor=owed.guarantor,
        encounter=encounter,
        day=day,
        type=PAYMENT,
        amount=first_part,
        method=method,
        mask=pays,
    )
    postings.add(
        guarantor=owed.guarantor,
        encounter=encounter,
        day=second_day,
        type=PAYMENT,
        amount=payable - first_part,
        method=CARD,
        mask=split & (second_day <= as_of_day),
    )
    twice = pays & rng.chance(0.015, n)
    twice_day = day + rng.integers(0, 2, n)
    refund_day = twice_day + rng.integers(5, 15, n)
    postings.add(
        guarantor=owed.guarantor,
        encounter=encounter,
        day=twice_day,
        type=PAYMENT,
        amount=payable,
        method=method,
        mask=twice & (twice_day <= as_of_day),
    )
    postings.add(
        guarantor=owed.guarantor,
        encounter=encounter,
        day=refund_day,
        type=REFUND,
        amount=payable,
        method=np.where(method == CHECK, CHECK, CARD),
        mask=twice & (refund_day <= as_of_day),
    )


def _pay_in_parts(
    rng: Randomness, postings: TransactionLedger, owed: Owed, due: np.ndarray, slow: np.ndarray, method, as_of_day: int
) -> np.ndarray:
    """1-5 payments (more for larger balances) from 20-75 days after settlement, 14-40 days
    apart; a quarter never make the last one. Returns what is left unpaid."""
    n = len(owed.due)
    parts = (
        np.where(
            due >= 20000, rng.choice(5, [0.1, 0.2, 0.25, 0.25, 0.2], n), rng.choice(5, [0.35, 0.35, 0.2, 0.1, 0.0], n)
        )
        + 1
    )
    day = owed.settled_day + rng.integers(20, 75, n)
    left = due.copy()
    skip_last = rng.chance(0.25, n)
    for i in range(5):
        part = np.where(parts - i == 1, left, np.round(left / np.maximum(parts - i, 1) / 100).astype(np.int64) * 100)
        part = np.minimum(part, left)
        pays = slow & (i < parts) & (day <= as_of_day) & ~(skip_last & (i == parts - 1) & (parts > 1))
        postings.add(
            guarantor=owed.guarantor,
            encounter=np.arange(n),
            day=day,
            type=PAYMENT,
            amount=part,
            method=method,
            mask=pays,
        )
        left = np.where(pays, left - part, left)
        day = day + rng.integers(14, 40, n)
    return left
