"""The patient side of the clinic: everything that happens after the visit but the 835s.

The front desk collects at the visit; once a claim settles each guarantor pays (or not) in
their own way (payment_behaviour.py). About a third of those who owe something take another
path on their largest balance: a payment plan, a dispute, a hardship application, a promise to
pay, or, for silent payers owing 125+ days, a settlement or a placement with the agency.
Afterwards some card and check payments bounce (reversed, half paid again), a few guarantors
send money on account, and the contact log fills with the clinic's own touches and incidents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .accounts import FlowAccounts
from .adjudication import Adjudication
from .agency import place_with_agency
from .contact_log import ContactLedger, log_account_contacts, log_incidents
from .disputes import open_disputes
from .encounters import Encounters
from .guarantors import Guarantors
from .hardship import apply_for_hardship
from .payment_behaviour import BEHAVIOUR_WEIGHTS, SILENT, Owed, front_desk, pay_as_usual
from .plans import Plans, set_up_plans
from .promises import promise_to_pay, settle
from .randomness import Randomness
from .table import TableRows, first_of_each_run
from .transactions import TransactionLedger, encounter_balances
from .vocabulary import CARD, CHECK, PAYMENT, PAYMENT_REVERSAL, PHONE, PORTAL, TEXT_TO_PAY

NO_FLOW, PLAN, DISPUTE, HARDSHIP, PROMISE, SETTLEMENT, AGENCY = range(7)


@dataclass(eq=False)
class PatientSide:
    postings: TransactionLedger
    contacts: ContactLedger
    plans: Plans
    disputes: TableRows
    hardship: TableRows
    agency_activity: TableRows
    balances: np.ndarray  # per encounter, after every posting on it
    email_bounced: np.ndarray  # per guarantor


def play_patient_side(
    rng: Randomness, people: Guarantors, encounters: Encounters, adjudication: Adjudication, as_of_day: int
) -> PatientSide:
    postings, contacts = TransactionLedger(), ContactLedger()
    behaviour = rng.choice(3, BEHAVIOUR_WEIGHTS, people.count)
    owed = front_desk(rng, postings, encounters, adjudication, as_of_day)
    flow, flow_encounter = _choose_flows(rng, owed, behaviour, as_of_day)
    in_flow = np.zeros(encounters.count, bool)
    in_flow[flow_encounter[flow > NO_FLOW]] = True
    pay_as_usual(rng, postings, owed, behaviour[encounters.guarantor], owed.open & ~in_flow, adjudication, as_of_day)

    def accounts(which: int) -> FlowAccounts:
        guarantor = np.flatnonzero(flow == which)
        encounter = flow_encounter[guarantor]
        return FlowAccounts(guarantor, encounter, owed.settled_day[encounter], owed.due[encounter])

    plans = set_up_plans(rng, postings, contacts, accounts(PLAN), as_of_day)
    disputes = open_disputes(rng, postings, contacts, accounts(DISPUTE), as_of_day)
    hardship = apply_for_hardship(rng, postings, contacts, accounts(HARDSHIP), as_of_day)
    promise_to_pay(rng, postings, contacts, accounts(PROMISE), as_of_day)
    settle(rng, postings, contacts, accounts(SETTLEMENT), as_of_day)
    agency_activity = place_with_agency(rng, postings, accounts(AGENCY), as_of_day)
    _reverse_some_payments(rng, postings, as_of_day)
    balances = encounter_balances(
        encounters.count, adjudication.responsibility, adjudication.pending, postings.arrays()
    )
    _money_on_account(rng, postings, encounters, balances, people.first_visit_day, as_of_day)

    first_balance_day = np.full(people.count, as_of_day + 1, np.int64)
    np.minimum.at(first_balance_day, encounters.guarantor[owed.open], owed.settled_day[owed.open])
    log_account_contacts(rng, contacts, people, as_of_day, behaviour, first_balance_day)
    email_bounced = log_incidents(rng, contacts, people, as_of_day, first_balance_day)
    return PatientSide(postings, contacts, plans, disputes, hardship, agency_activity, balances, email_bounced)


def _choose_flows(rng: Randomness, owed: Owed, behaviour: np.ndarray, as_of_day: int) -> tuple[np.ndarray, np.ndarray]:
    """Per guarantor, the flow (NO_FLOW..AGENCY) and the encounter it is about: the one owing
    the most (the lowest number on a tie)."""
    n_guarantors = len(behaviour)
    open_ = np.flatnonzero(owed.open)
    ranked = open_[np.lexsort((open_, -owed.due[open_], owed.guarantor[open_]))]
    largest = ranked[first_of_each_run(owed.guarantor[ranked])]
    flow_encounter = np.full(n_guarantors, -1, np.int64)
    flow_encounter[owed.guarantor[largest]] = largest
    owes = flow_encounter >= 0
    encounter = np.where(owes, flow_encounter, 0)
    due = np.where(owes, owed.due[encounter], 0)
    age = np.where(owes, np.where(owed.settled, as_of_day - owed.settled_day, -1)[encounter], -1)
    draw = rng.uniform(n_guarantors)
    flow = np.zeros(n_guarantors, np.int64)
    flow = np.where(owes & (due >= 10000) & (age >= 15) & (draw < 0.20), PLAN, flow)
    flow = np.where(owes & (age >= 3) & (draw >= 0.20) & (draw < 0.245), DISPUTE, flow)
    flow = np.where(owes & (age >= 10) & (draw >= 0.245) & (draw < 0.28), HARDSHIP, flow)
    flow = np.where(owes & (age >= 10) & (draw >= 0.28) & (draw < 0.34), PROMISE, flow)
    draw = rng.uniform(n_guarantors)
    long_silent = owes & (flow == NO_FLOW) & (behaviour == SILENT) & (age >= 125)
    flow = np.where(long_silent & (draw < 0.12), SETTLEMENT, flow)
    flow = np.where(long_silent & (draw >= 0.12) & (draw < 0.45), AGENCY, flow)
    return flow, encounter


def _reverse_some_payments(rng: Randomness, postings: TransactionLedger, as_of_day: int) -> None:
    """1.5% of card, check, text, portal and phone payments (not the front desk's) bounce 2-10
    days later (NSF cheques, charge-backs); half are paid again 3-20 days after that."""
    paid = postings.arrays()
    n = len(paid["guarantor"])
    reversible = (
        (paid["type"] == PAYMENT)
        & np.isin(paid["method"], [CARD, CHECK, TEXT_TO_PAY, PORTAL, PHONE])
        & (paid["front_desk"] != 1)
    )
    reversed_ = reversible & rng.chance(0.015, n)
    reversal_day = paid["day"] + rng.integers(2, 10, n)
    reversed_ &= reversal_day <= as_of_day
    postings.add(
        guarantor=paid["guarantor"],
        encounter=paid["encounter"],
        day=reversal_day,
        type=PAYMENT_REVERSAL,
        amount=paid["amount"],
        method=paid["method"],
        plan=paid["plan"],
        mask=reversed_,
    )
    repay_day = reversal_day + rng.integers(3, 20, n)
    postings.add(
        guarantor=paid["guarantor"],
        encounter=paid["encounter"],
        day=repay_day,
        type=PAYMENT,
        amount=paid["amount"],
        method=np.where(paid["method"] == CHECK, CARD, PORTAL),
        plan=paid["plan"],
        mask=reversed_ & (repay_day <= as_of_day) & rng.chance(0.5, n),
    )


def _money_on_account(
    rng: Randomness,
    postings: TransactionLedger,
    encounters: Encounters,
    balances: np.ndarray,
    first_visit_day: np.ndarray,
    as_of_day: int,
) -> None:
    """2% of guarantors owing $40+ send $20-150 (at most half of it) without naming a visit."""
    n = len(first_visit_day)
    owes = np.bincount(encounters.guarantor, weights=np.maximum(balances, 0), minlength=n).astype(np.int64)
    sends = (owes >= 4000) & rng.chance(0.02, n)
    amount = np.minimum(rng.integers(20, 150, n) * 100, owes // 2)
    day = np.maximum(as_of_day - rng.integers(0, 90, n), first_visit_day)
    postings.add(
        guarantor=np.arange(n),
        encounter=-1,
        day=day,
        type=PAYMENT,
        amount=amount,
        method=rng.pick((PORTAL, PHONE, CHECK), [0.5, 0.3, 0.2], n),
        mask=sends,
    )
