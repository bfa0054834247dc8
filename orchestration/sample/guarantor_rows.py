"""pm/guarantors as text: addresses, phones, e-mail addresses and the dated facts.

A guarantor's `updated_at` is its latest dated fact (registration, consents, opt-outs, address
verification, deceased, bankruptcy). A row changed on a delta day also appears in the history
file as it was before: the facts dated from the first delta day on left out.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .clinic import (
    ADDRESS_LINE2,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    FIRST_NAMES_EMAIL,
    LANGUAGES,
    LAST_NAMES,
    LAST_NAMES_EMAIL,
    LOCATIONS,
    STREETS,
)
from .dates import SECONDS_PER_DAY
from .guarantors import Guarantors
from .ids import sequence_id_column
from .table import (
    LazyTable,
    TableRows,
    birth_date_column,
    date_column,
    enum_column,
    id_column,
    text_column,
    timestamp_column,
)
from .text import join_text, null_where, number_text, padded_number_text, pick
from .vocabulary import PREFERRED_CHANNELS

# the facts the contract types as dates (the others are timestamps)
DATE_FACTS = ("address_verified_at", "deceased_at", "bankruptcy_filed_at")


def guarantor_table(people: Guarantors, first_delta_day: int) -> TableRows:
    facts = _dated_facts(people)
    registered = people.registered_day * SECONDS_PER_DAY + people.registered_second
    updated = _latest(registered, facts)
    rows = LazyTable(
        {
            "guarantor_id": sequence_id_column("G", people.count, 8),
            "household_id": id_column("H", people.household, 8),
            "first_name": text_column(pick(FIRST_NAMES, people.first_name)),
            "last_name": text_column(pick(LAST_NAMES, people.last_name)),
            "date_of_birth": birth_date_column(people.birth_day),
            **_address_columns(people),
            "phone": text_column(_phones(people)),
            "email": text_column(null_where(email_addresses(people, np.arange(people.count)), ~people.has_email)),
            "timezone": text_column(
                null_where(pick([x.timezone for x in LOCATIONS], people.location), ~people.timezone_filled)
            ),
            "preferred_channel": enum_column(PREFERRED_CHANNELS, people.preferred_channel),
            "language": enum_column(LANGUAGES, people.language),
            **_fact_columns(facts),
            "updated_at": timestamp_column(updated // SECONDS_PER_DAY, updated % SECONDS_PER_DAY),
        }
    )
    # the previous version of rows changed on a delta day: without what happened from that day on
    before = {name: np.where((v >= 0) & (v // SECONDS_PER_DAY >= first_delta_day), -1, v) for name, v in facts.items()}
    previous_update = _latest(registered, before)
    previous = rows.replace(
        **_fact_columns(before),
        updated_at=timestamp_column(previous_update // SECONDS_PER_DAY, previous_update % SECONDS_PER_DAY),
    )
    return TableRows(rows, previous, updated // SECONDS_PER_DAY, people.registered_day)


def _dated_facts(people: Guarantors) -> dict[str, np.ndarray]:
    def instant(day, second):
        return np.where(day >= 0, day * SECONDS_PER_DAY + second, -1)

    consent, opt_out, flag = people.consent_second, people.opt_out_second, people.flag_second
    return {
        "sms_consent_at": instant(people.sms_consent_day, consent),
        "email_consent_at": instant(people.email_consent_day, consent),
        "card_on_file_consent_at": instant(people.card_on_file_consent_day, consent),
        "sms_opt_out_at": instant(people.sms_opt_out_day, opt_out),
        "email_opt_out_at": instant(people.email_opt_out_day, opt_out),
        "address_verified_at": instant(people.address_verified_day, flag),
        "deceased_at": instant(people.deceased_day, flag),
        "bankruptcy_filed_at": instant(people.bankruptcy_day, flag),
    }


def _latest(registered: np.ndarray, facts: dict[str, np.ndarray]) -> np.ndarray:
    latest = registered.copy()
    for instants in facts.values():
        latest = np.maximum(latest, instants)
    return latest


def _fact_columns(facts: dict[str, np.ndarray]) -> dict:
    columns = {}
    for name, instants in facts.items():
        day = np.where(instants >= 0, instants // SECONDS_PER_DAY, -1)
        if name in DATE_FACTS:
            columns[name] = date_column(day)
        else:
            columns[name] = timestamp_column(day, np.where(instants >= 0, instants % SECONDS_PER_DAY, 0))
    return columns


def _address_columns(people: Guarantors) -> dict:
    location = people.location
    zip5 = join_text(pick([x.zip3 for x in LOCATIONS], location), padded_number_text(people.zip_last2, 2))
    zip4 = join_text("-", padded_number_text(np.maximum(people.zip4, 0), 4))
    return {
        "address_line1": text_column(join_text(number_text(people.house_number), " ", pick(STREETS, people.street))),
        "address_line2": text_column(
            null_where(pick(ADDRESS_LINE2, np.maximum(people.address_line2, 0)), people.address_line2 < 0)
        ),
        "city": text_column(pick([x.city for x in LOCATIONS], location)),
        "state": text_column(pick([x.state for x in LOCATIONS], location)),
        "postal_code": text_column(pc.if_else(pa.array(people.zip4 >= 0), join_text(zip5, zip4), zip5)),
    }


def _phones(people: Guarantors) -> pa.Array:
    """10 digits, or E.164 (+1...) for 30%; empty without a phone."""
    ten_digits = join_text(
        pick([x.area_code for x in LOCATIONS], people.location), number_text(np.maximum(people.phone_number, 0))
    )
    phone = pc.if_else(pa.array(people.phone_e164), join_text("+1", ten_digits), ten_digits)
    return null_where(phone, people.phone_number < 0)


def email_addresses(people: Guarantors, which: np.ndarray) -> pa.Array:
    """first.last<n>@domain of the guarantors `which`, in the name of the address's owner."""
    owner = people.email_owner[which]
    return join_text(
        pick(FIRST_NAMES_EMAIL, people.first_name[owner]),
        ".",
        pick(LAST_NAMES_EMAIL, people.last_name[owner]),
        number_text(people.email_number[which]),
        "@",
        pick(EMAIL_DOMAINS, people.email_domain[which]),
    )
