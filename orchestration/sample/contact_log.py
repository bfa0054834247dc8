"""Touches the pipeline did not send itself (ops/contact_log): the clinic's calls, letters,
e-mails and texts before the pipeline, inbound calls and portal messages, and the incidents
the protective rules must see (returned mail, wrong numbers, bounces, complaints, refusals,
disputes raised by phone).

The call-centre tool writes its times in UTC (``Z``), between 6:00 and 23:00 clinic time.
"""

from __future__ import annotations

import numpy as np

from .guarantors import Guarantors
from .ids import guarantor_id_column, sequence_id_column
from .ledger import Ledger
from .randomness import Randomness, seconds_of_day
from .table import LazyTable, TableRows, date_column, enum_column, id_column, money_column, timestamp_column
from .vocabulary import (
    BOUNCED,
    CALL,
    COMPLAINT,
    CONNECTED,
    CONTACT_CHANNELS,
    CONTACT_DIRECTIONS,
    CONTACT_OUTCOMES,
    DELIVERED,
    DISPUTE_RAISED,
    EMAIL,
    INBOUND,
    INBOUND_CALL,
    LETTER,
    NO_ANSWER,
    OUTBOUND,
    PORTAL_MESSAGE,
    REFUSED,
    RETURNED_MAIL,
    SMS,
    VOICEMAIL,
    WRONG_NUMBER,
)

AGENTS = 25  # call-centre agents A001..A025


class ContactLedger(Ledger):
    """Contacts as arrays: guarantor position, day number, second of the day, channel,
    direction and outcome codes, promised amount (cents) and day (-1: none), agent (-1: none)."""

    columns = (
        "guarantor",
        "day",
        "second",
        "channel",
        "direction",
        "outcome",
        "promised_amount",
        "promised_day",
        "agent",
    )

    def add(
        self,
        *,
        guarantor,
        day,
        second,
        channel,
        direction,
        outcome,
        promised_amount=-1,
        promised_day=-1,
        agent=-1,
        mask=None,
    ) -> None:
        self._append(
            dict(
                guarantor=guarantor,
                day=day,
                second=second,
                channel=channel,
                direction=direction,
                outcome=outcome,
                promised_amount=promised_amount,
                promised_day=promised_day,
                agent=agent,
            ),
            mask,
        )


def draw_agents(rng: Randomness, n) -> np.ndarray:
    return rng.integers(1, AGENTS, n)


def log_account_contacts(
    rng: Randomness,
    contacts: ContactLedger,
    people: Guarantors,
    as_of_day: int,
    behaviour: np.ndarray,
    first_balance_day: np.ndarray,
) -> None:
    """The clinic's own touches once a guarantor owes something (`first_balance_day` > as-of:
    never): none to a few, more for slow and silent payers (`behaviour` 0 fast, 1 slow, 2
    silent). A call or text without a phone, or an e-mail without an address, is a letter."""
    owes = first_balance_day <= as_of_day
    per_guarantor = np.where(owes, rng.numpy.poisson(np.array([0.4, 1.6, 2.8])[behaviour]), 0)
    who = np.repeat(np.arange(people.count), per_guarantor)
    n = len(who)
    day = first_balance_day[who] + rng.integers(0, np.maximum(as_of_day - first_balance_day[who], 0))
    channel = rng.pick((CALL, LETTER, EMAIL, SMS, INBOUND_CALL, PORTAL_MESSAGE), [0.5, 0.22, 0.12, 0.06, 0.07, 0.03], n)
    no_phone = ~people.has_phone[who]
    channel = np.where(((channel == CALL) | (channel == SMS)) & no_phone, LETTER, channel)
    channel = np.where((channel == EMAIL) & ~people.has_email[who], LETTER, channel)
    call_outcome = rng.pick((CONNECTED, VOICEMAIL, NO_ANSWER), [0.25, 0.4, 0.35], n)
    outcome = np.select(
        [channel == CALL, channel == INBOUND_CALL, channel == PORTAL_MESSAGE],
        [call_outcome, CONNECTED, CONNECTED],
        DELIVERED,
    )
    inbound = (channel == INBOUND_CALL) | (channel == PORTAL_MESSAGE)
    agent = np.where((channel == CALL) | (channel == INBOUND_CALL), draw_agents(rng, n), -1)
    contacts.add(
        guarantor=who,
        day=day,
        second=seconds_of_day(rng, n, 8.5, 20.5),
        channel=channel,
        direction=np.where(inbound, INBOUND, OUTBOUND),
        outcome=outcome,
        agent=agent,
    )


def log_incidents(
    rng: Randomness, contacts: ContactLedger, people: Guarantors, as_of_day: int, first_balance_day: np.ndarray
) -> np.ndarray:
    """Mail returned after the last address verification, wrong numbers, bounced e-mail,
    complaints, refusals to pay and disputes raised by phone (without a dispute record).
    Returns who had an e-mail bounce (SendGrid reports those too)."""
    n = people.count
    everyone = np.arange(n)
    since = np.minimum(people.first_visit_day, as_of_day)
    owes = first_balance_day <= as_of_day
    verified = people.address_verified_day
    returned = rng.chance(0.03, n)
    returned_day = np.where(verified >= 0, verified, since) + rng.integers(5, 60, n)
    contacts.add(
        guarantor=everyone,
        day=returned_day,
        second=seconds_of_day(rng, n, 10, 16),
        channel=LETTER,
        direction=OUTBOUND,
        outcome=RETURNED_MAIL,
        mask=returned & (returned_day <= as_of_day),
    )
    wrong_number = rng.chance(0.02, n) & people.has_phone
    day = since + rng.integers(0, np.maximum(as_of_day - since, 0))
    contacts.add(
        guarantor=everyone,
        day=day,
        second=seconds_of_day(rng, n, 9, 19),
        channel=CALL,
        direction=OUTBOUND,
        outcome=WRONG_NUMBER,
        agent=draw_agents(rng, n),
        mask=wrong_number,
    )
    bounced = rng.chance(0.02, n) & people.has_email
    day = since + rng.integers(0, np.maximum(as_of_day - since, 0))
    contacts.add(
        guarantor=everyone,
        day=day,
        second=seconds_of_day(rng, n, 9, 19),
        channel=EMAIL,
        direction=OUTBOUND,
        outcome=BOUNCED,
        mask=bounced,
    )
    complaint = rng.chance(0.003, n)
    day = since + rng.integers(0, np.maximum(as_of_day - since, 0))
    contacts.add(
        guarantor=everyone,
        day=day,
        second=seconds_of_day(rng, n, 9, 19),
        channel=INBOUND_CALL,
        direction=INBOUND,
        outcome=COMPLAINT,
        agent=draw_agents(rng, n),
        mask=complaint,
    )
    refused = rng.chance(0.006, n) & people.has_phone & owes
    day = np.minimum(first_balance_day + rng.integers(5, 60, n), as_of_day)
    contacts.add(
        guarantor=everyone,
        day=day,
        second=seconds_of_day(rng, n, 9, 19),
        channel=CALL,
        direction=OUTBOUND,
        outcome=REFUSED,
        agent=draw_agents(rng, n),
        mask=refused,
    )
    dispute_hint = rng.chance(0.004, n) & owes
    day = as_of_day - rng.integers(0, 25, n)
    contacts.add(
        guarantor=everyone,
        day=np.maximum(day, since),
        second=seconds_of_day(rng, n, 9, 19),
        channel=INBOUND_CALL,
        direction=INBOUND,
        outcome=DISPUTE_RAISED,
        agent=draw_agents(rng, n),
        mask=dispute_hint,
    )
    return bounced


def contact_table(contacts: ContactLedger) -> TableRows:
    """ops/contact_log in time order (rows never change: no previous versions)."""
    log = contacts.arrays()
    order = np.lexsort((log["second"], log["guarantor"], log["day"]))
    log = {name: values[order] for name, values in log.items()}
    second = np.clip(log["second"], 6 * 3600, 23 * 3600)
    promised = log["promised_amount"]
    rows = LazyTable(
        {
            "contact_id": sequence_id_column("C", len(log["guarantor"]), 9),
            "guarantor_id": guarantor_id_column(log["guarantor"]),
            "occurred_at": timestamp_column(log["day"], second, utc=True),
            "channel": enum_column(CONTACT_CHANNELS, log["channel"]),
            "direction": enum_column(CONTACT_DIRECTIONS, log["direction"]),
            "outcome": enum_column(CONTACT_OUTCOMES, log["outcome"]),
            "promised_amount": money_column(np.maximum(promised, 0), empty=promised < 0),
            "promised_date": date_column(log["promised_day"]),
            "agent_id": id_column("A", log["agent"], 3),
            "updated_at": timestamp_column(log["day"], np.minimum(second + 300, 86399), utc=True),
        }
    )
    return TableRows(rows, None, log["day"], log["day"])
