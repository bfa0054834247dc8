"""Payment plans (pm/payment_plans) and the installments paid on them.

A guarantor owing $100 or more asks for a plan (an inbound call) 10-45 days after the balance
was set: 2-3 installments under $500, 3-6 under $2,000, 6-12 above; mostly monthly on a fixed
day of the month, some biweekly or weekly; 40% charge a card on file. Shaky payers miss
installments: two missed ones default the plan; a few plans are cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .accounts import FlowAccounts
from .contact_log import ContactLedger, draw_agents
from .dates import add_months
from .ids import guarantor_id_column, sequence_id_column
from .randomness import Randomness, seconds_of_day
from .table import (
    LazyTable,
    TableRows,
    date_column,
    enum_column,
    int_column,
    money_column,
    text_column,
    timestamp_column,
)
from .text import join_text, padded_number_text
from .transactions import TransactionLedger
from .vocabulary import (
    BIWEEKLY,
    BOOLEAN_TEXT,
    CARD,
    CARD_ON_FILE,
    CHECK,
    INBOUND,
    INBOUND_CALL,
    MONTHLY,
    PAYMENT,
    PHONE,
    PLAN_ACTIVE,
    PLAN_CANCELLED,
    PLAN_COMPLETED,
    PLAN_DEFAULTED,
    PLAN_FREQUENCIES,
    PLAN_REQUESTED,
    PLAN_STATUSES,
    PORTAL,
)

MAX_INSTALLMENTS = 12


@dataclass(eq=False)
class PlanTerms:
    created_day: np.ndarray
    total: np.ndarray
    installments: np.ndarray
    installment_amount: np.ndarray
    frequency: np.ndarray
    first_due_day: np.ndarray
    card_on_file: np.ndarray


@dataclass(eq=False)
class PlanHistory:
    paid: np.ndarray  # (plan, installment k) paid
    pay_day: np.ndarray  # (plan, k)
    amount: np.ndarray  # (plan, k) cents
    status: np.ndarray
    status_day: np.ndarray


@dataclass(eq=False)
class Plans:
    table: TableRows
    card_on_file_guarantors: np.ndarray  # (with the plan's creation day) for the consent
    card_on_file_created_day: np.ndarray


def set_up_plans(
    rng: Randomness, postings: TransactionLedger, contacts: ContactLedger, accounts: FlowAccounts, as_of_day: int
) -> Plans:
    terms = _terms(rng, accounts, as_of_day)
    history = _installments(rng, terms, as_of_day)
    n = accounts.count
    method = np.where(
        terms.card_on_file, CARD_ON_FILE, rng.pick((PORTAL, PHONE, CHECK, CARD), [0.4, 0.25, 0.2, 0.15], n)
    )
    plan, k = np.nonzero(history.paid)
    postings.add(
        guarantor=accounts.guarantor[plan],
        encounter=accounts.encounter[plan],
        day=history.pay_day[plan, k],
        type=PAYMENT,
        amount=history.amount[plan, k],
        method=method[plan],
        plan=plan,
    )
    created_second = seconds_of_day(rng, n, 9, 17)
    contacts.add(
        guarantor=accounts.guarantor,
        day=terms.created_day,
        second=created_second - 300,
        channel=INBOUND_CALL,
        direction=INBOUND,
        outcome=PLAN_REQUESTED,
        agent=draw_agents(rng, n),
    )
    table = _plan_table(rng, accounts, terms, history, created_second)
    on_card = terms.card_on_file
    return Plans(table, accounts.guarantor[on_card], terms.created_day[on_card])


def _terms(rng: Randomness, accounts: FlowAccounts, as_of_day: int) -> PlanTerms:
    n, total = accounts.count, accounts.due
    created = accounts.settled_day + rng.integers(10, np.minimum(45, as_of_day - accounts.settled_day))
    created = np.minimum(created, as_of_day)
    installments = np.where(
        total < 50000,
        rng.integers(2, 3, n),
        np.where(
            total < 200000,
            rng.integers(3, 6, n),
            np.where(rng.chance(0.6, n), rng.integers(6, 6, n), rng.integers(7, 12, n)),
        ),
    )
    frequency = rng.choice(3, [0.8, 0.15, 0.05], n)
    day_of_month = np.array([1, 5, 10, 15, 20, 25, 28])[rng.integers(0, 6, n)]
    # monthly: the first chosen day of the month at least a week after the plan was set up
    earliest = created + 7
    month_start = earliest.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    first_monthly = month_start + day_of_month - 1
    first_monthly = np.where(first_monthly < earliest, add_months(month_start, 1) + day_of_month - 1, first_monthly)
    first_due = np.where(frequency == MONTHLY, first_monthly, created + np.where(frequency == BIWEEKLY, 14, 7))
    return PlanTerms(
        created, total, installments, -(-total // installments), frequency, first_due, card_on_file=rng.chance(0.4, n)
    )


def _installments(rng: Randomness, terms: PlanTerms, as_of_day: int) -> PlanHistory:
    n, k_max = len(terms.total), MAX_INSTALLMENTS
    k = np.arange(k_max)[None, :]
    count = terms.installments
    due = np.where(
        (terms.frequency == MONTHLY)[:, None],
        add_months(np.repeat(terms.first_due_day, k_max), np.tile(np.arange(k_max), n)).reshape(n, k_max),
        terms.first_due_day[:, None] + k * np.where(terms.frequency == BIWEEKLY, 14, 7)[:, None],
    )
    scheduled = k < count[:, None]
    last_amount = terms.total - terms.installment_amount * (count - 1)
    amount = np.where(k == (count - 1)[:, None], last_amount[:, None], terms.installment_amount[:, None])
    shaky = rng.chance(0.3, n)
    missed = rng.uniform((n, k_max)) < np.where(shaky, 0.45, 0.03)[:, None]
    missed[:, 0] &= rng.chance(0.6, n) | shaky  # first installments succeed more often
    pay_day = due + np.where(terms.card_on_file[:, None], 0, np.floor(rng.uniform((n, k_max)) * 6).astype(np.int64) - 3)
    missed_so_far = np.cumsum(missed & scheduled & (due + 3 < as_of_day), axis=1)
    defaulted = (missed_so_far >= 2).any(axis=1)
    default_k = np.where(defaulted, np.argmax(missed_so_far >= 2, axis=1), k_max)
    default_day = np.minimum(due[np.arange(n), np.minimum(default_k, k_max - 1)] + 4 + rng.integers(0, 3, n), as_of_day)
    cancel_day = terms.created_day + rng.integers(5, 120, n)
    cancelled = ~defaulted & rng.chance(0.04, n) & (cancel_day <= as_of_day)
    paid = (
        scheduled
        & ~missed
        & (pay_day <= as_of_day)
        & (k < default_k[:, None])
        & ~(cancelled[:, None] & (pay_day >= cancel_day[:, None]))
    )
    completed = ~defaulted & ~cancelled & (paid.sum(axis=1) == count)
    last_paid = np.where(paid, pay_day, -1).max(axis=1)
    status = np.where(
        defaulted, PLAN_DEFAULTED, np.where(cancelled, PLAN_CANCELLED, np.where(completed, PLAN_COMPLETED, PLAN_ACTIVE))
    )
    status_day = np.select([defaulted, cancelled, completed], [default_day, cancel_day, last_paid], terms.created_day)
    return PlanHistory(paid, pay_day, amount, status, status_day)


def _plan_table(
    rng: Randomness, accounts: FlowAccounts, terms: PlanTerms, history: PlanHistory, created_second: np.ndarray
) -> TableRows:
    """pm/payment_plans; the previous version of a plan that changed status is the active plan
    as created. Plans of more than 6 installments are approved by a manager (M001-M003)."""
    n = accounts.count
    status_second = np.where(history.status == PLAN_ACTIVE, created_second, seconds_of_day(rng, n, 9, 19))
    manager = terms.installments > 6
    approver = np.where(manager, rng.integers(1, 3, n), rng.integers(1, 12, n))
    approved_by = join_text(pc.if_else(pa.array(manager), "M", "S"), padded_number_text(approver, 3))
    rows = LazyTable(
        {
            "plan_id": sequence_id_column("PP", n, 7),
            "guarantor_id": guarantor_id_column(accounts.guarantor),
            "created_at": timestamp_column(terms.created_day, created_second),
            "approved_by": text_column(approved_by),
            "total_amount": money_column(terms.total),
            "installment_amount": money_column(terms.installment_amount),
            "installment_count": int_column(terms.installments),
            "first_due_date": date_column(terms.first_due_day),
            "frequency": enum_column(PLAN_FREQUENCIES, terms.frequency),
            "card_on_file": enum_column(BOOLEAN_TEXT, np.where(terms.card_on_file, 0, 1)),
            "status": enum_column(PLAN_STATUSES, history.status),
            "status_changed_at": timestamp_column(history.status_day, status_second),
            "updated_at": timestamp_column(history.status_day, status_second),
        }
    )
    as_created = timestamp_column(terms.created_day, created_second)
    previous = rows.replace(
        status=enum_column(PLAN_STATUSES, np.full(n, PLAN_ACTIVE)), status_changed_at=as_created, updated_at=as_created
    )
    return TableRows(rows, previous, history.status_day, terms.created_day)
