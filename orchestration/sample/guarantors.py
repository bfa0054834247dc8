"""The people responsible for the bills (pm/guarantors): who they are, where they live, how to
reach them, and what they consented to.

About 30% of guarantors share a household (same address, usually the same last name,
sometimes the same e-mail or phone). Registration, consents, opt-outs, address verification,
deceased and bankruptcy dates follow the guarantor's visits; a few facts are settled only once
the patient side is known (`settle_consents_and_addresses`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .clinic import (
    ADDRESS_LINE2,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LANGUAGE_WEIGHTS,
    LANGUAGES,
    LAST_NAMES,
    LOCATIONS,
    STREETS,
)
from .encounters import VisitSpan
from .randomness import Randomness, seconds_of_day
from .vocabulary import CARD_ON_FILE, PREFER_EMAIL, PREFER_MAIL, RETURNED_MAIL


@dataclass(eq=False)
class Guarantors:
    """One entry per guarantor (arrays indexed by guarantor number - 1); a day number of -1
    means the fact is absent (no consent, not deceased, ...)."""

    count: int
    first_visit_day: np.ndarray
    # who and where (positions in the clinic's reference lists)
    location: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray
    street: np.ndarray
    house_number: np.ndarray
    address_line2: np.ndarray  # -1: none
    zip_last2: np.ndarray  # the two digits after the location's ZIP3
    zip4: np.ndarray  # -1: none
    timezone_filled: np.ndarray
    household: np.ndarray  # -1: none
    # how to reach them
    birth_day: np.ndarray
    phone_number: np.ndarray  # 7 digits after the area code; -1: none
    phone_e164: np.ndarray
    has_email: np.ndarray
    email_number: np.ndarray
    email_domain: np.ndarray
    email_owner: np.ndarray  # the household member whose name the address carries
    preferred_channel: np.ndarray
    language: np.ndarray
    # dated facts
    registered_day: np.ndarray
    registered_second: np.ndarray
    sms_consent_day: np.ndarray
    email_consent_day: np.ndarray
    consent_second: np.ndarray
    sms_opt_out_day: np.ndarray
    email_opt_out_day: np.ndarray
    opt_out_second: np.ndarray
    address_verified_day: np.ndarray
    deceased_day: np.ndarray
    bankruptcy_day: np.ndarray
    card_on_file_consent_day: np.ndarray
    flag_second: np.ndarray  # time of day of the address/deceased/bankruptcy entries

    @property
    def has_phone(self) -> np.ndarray:
        return self.phone_number >= 0


def register_guarantors(rng: Randomness, as_of_day: int, visits: VisitSpan) -> Guarantors:
    count = len(visits.first_day)
    address = _names_and_addresses(rng, count)
    members, heads = _form_households(rng, address)
    contact, has_own_phone = _contact_points(rng, count, as_of_day, members, heads)
    facts = _dated_facts(rng, as_of_day, visits, has_own_phone, contact["has_email"])
    return Guarantors(count=count, first_visit_day=visits.first_day, **address, **contact, **facts)


def _names_and_addresses(rng: Randomness, count: int) -> dict:
    return dict(
        location=rng.choice(len(LOCATIONS), np.array([x.weight for x in LOCATIONS], float), count),
        first_name=rng.integers(0, len(FIRST_NAMES) - 1, count),
        last_name=rng.integers(0, len(LAST_NAMES) - 1, count),
        street=rng.integers(0, len(STREETS) - 1, count),
        house_number=rng.integers(1, 9899, count),
        address_line2=np.where(rng.chance(0.25, count), rng.integers(0, len(ADDRESS_LINE2) - 1, count), -1),
        zip_last2=rng.integers(0, 99, count),
        zip4=np.where(rng.chance(0.1, count), rng.integers(1, 9999, count), -1),
        timezone_filled=rng.chance(0.88, count),
    )


def _form_households(rng: Randomness, address: dict) -> tuple[np.ndarray, np.ndarray]:
    """~30% of guarantors in households of 2-4 sharing the head's address (and mostly last
    name); half the others form a household of one. Sets `address["household"]`; returns the
    members of the larger households and each member's head."""
    count = len(address["location"])
    shuffled = rng.numpy.permutation(count)
    sizes = np.array([2, 3, 4])[rng.choice(3, [0.6, 0.3, 0.1], count // 2 + 2)]
    cumulative = np.cumsum(sizes)
    n_groups = int(np.searchsorted(cumulative, int(0.30 * count))) + 1 if count >= 4 else (1 if count >= 2 else 0)
    sizes = sizes[:n_groups]
    cumulative = np.cumsum(sizes)
    while len(cumulative) and cumulative[-1] > count:
        sizes = sizes[:-1]
        cumulative = cumulative[:-1]
    members = shuffled[: int(cumulative[-1])] if len(cumulative) else shuffled[:0]
    group = np.repeat(np.arange(len(sizes)), sizes)
    heads = members[np.r_[0, cumulative[:-1]]][group] if len(members) else members
    household = np.full(count, -1, np.int64)
    household[members] = group + 1
    last_name = address["last_name"]
    same_last = rng.chance(0.8, len(members))
    last_name[members] = np.where(same_last, last_name[heads], last_name[members])
    for shared in ("location", "street", "house_number", "address_line2", "zip_last2", "zip4", "timezone_filled"):
        address[shared][members] = address[shared][heads]
    own = (household < 0) & rng.chance(0.5, count)
    address["household"] = np.where(own, len(sizes) + 1 + np.cumsum(own) - 1, household)
    return members, heads


def _contact_points(rng: Randomness, count: int, as_of_day: int, members, heads) -> tuple[dict, np.ndarray]:
    """Birth date, phone, e-mail (household members sometimes share them), preferred channel
    and language; and who had a phone of their own (before any sharing)."""
    birth_day = as_of_day - rng.integers(18 * 365, 90 * 365, count)
    has_own_phone = rng.chance(0.93, count)
    contact = dict(
        birth_day=birth_day,
        phone_number=np.where(has_own_phone, rng.integers(2000000, 9999999, count), -1),
        phone_e164=rng.chance(0.3, count),
        has_email=rng.chance(0.85, count),
        email_number=rng.integers(1, 99, count),
        email_domain=rng.integers(0, len(EMAIL_DOMAINS) - 1, count),
    )
    owner = np.arange(count)
    share_email = rng.chance(0.4, len(members)) & (members != heads)
    owner[members[share_email]] = heads[share_email]
    contact["email_owner"] = owner
    for shared in ("email_number", "email_domain", "has_email"):
        contact[shared][members[share_email]] = contact[shared][heads[share_email]]
    share_phone = rng.chance(0.3, len(members)) & (members != heads)
    for shared in ("phone_number", "phone_e164"):
        contact[shared][members[share_phone]] = contact[shared][heads[share_phone]]
    preferred = np.where(rng.chance(0.9, count), rng.choice(4, [0.35, 0.25, 0.2, 0.1], count), -1)
    contact["preferred_channel"] = np.where((preferred == PREFER_EMAIL) & ~contact["has_email"], PREFER_MAIL, preferred)
    contact["language"] = np.where(rng.chance(0.94, count), rng.choice(len(LANGUAGES), LANGUAGE_WEIGHTS, count), -1)
    return contact, has_own_phone


def _dated_facts(rng: Randomness, as_of_day: int, visits: VisitSpan, has_own_phone, has_email) -> dict:
    """Registration (new patients at their first visit), consents, opt-outs, the last address
    verification (at a check-in), and the rare deceased and bankruptcy dates."""
    first_visit = visits.first_day
    count = len(first_visit)
    new_patient = rng.chance(0.35, count)
    registered = np.where(new_patient, first_visit, first_visit - rng.integers(1, 1500, count))
    registered_second = seconds_of_day(rng, count, 8, 17)
    consent_day = np.where(rng.chance(0.5, count), registered, first_visit)
    sms_consent = np.where(has_own_phone & rng.chance(0.72, count), consent_day, -1)
    email_consent = np.where(has_email & rng.chance(0.62, count), consent_day, -1)
    consent_second = registered_second + rng.integers(60, 1800, count)
    span = np.maximum(as_of_day - np.maximum(consent_day, as_of_day - 400), 1)
    sms_opt_out = np.where(
        (sms_consent >= 0) & rng.chance(0.06, count), np.minimum(consent_day + rng.integers(1, span), as_of_day), -1
    )
    email_opt_out = np.where(
        (email_consent >= 0) & rng.chance(0.04, count), np.minimum(consent_day + rng.integers(1, span), as_of_day), -1
    )
    opt_out_second = rng.integers(7 * 3600, 22 * 3600, count)
    verified = np.where(visits.last_day_before_as_of >= 0, visits.last_day_before_as_of, registered)
    verified = np.where(rng.chance(0.25, count), registered, verified)
    address_verified = np.where(rng.chance(0.05, count), -1, verified)
    since_first = np.maximum(as_of_day - first_visit, 1)
    after_last = np.maximum(as_of_day - visits.last_day, 1)
    deceased = np.where(
        rng.chance(0.003, count) & (visits.last_day < as_of_day),
        np.minimum(visits.last_day + rng.integers(1, after_last), as_of_day),
        -1,
    )
    bankruptcy = np.where(
        rng.chance(0.003, count), np.minimum(first_visit + rng.integers(1, since_first), as_of_day), -1
    )
    return dict(
        registered_day=registered,
        registered_second=registered_second,
        sms_consent_day=sms_consent,
        email_consent_day=email_consent,
        consent_second=consent_second,
        sms_opt_out_day=sms_opt_out,
        email_opt_out_day=email_opt_out,
        opt_out_second=opt_out_second,
        address_verified_day=address_verified,
        deceased_day=deceased,
        bankruptcy_day=bankruptcy,
        card_on_file_consent_day=np.where(rng.chance(0.04, count), consent_day, -1),
        flag_second=seconds_of_day(rng, count, 9, 17),
    )


def settle_consents_and_addresses(
    rng: Randomness, people: Guarantors, as_of_day: int, transactions: dict, card_on_file_plans: tuple, contacts: dict
) -> None:
    """What the patient side implies for the guarantor file: a card-on-file consent no later
    than the plan or payment that uses the card, and an address verified before any mail that
    came back from it. `card_on_file_plans` is (guarantor, plan created day) of the plans set
    up with a card on file."""
    plan_guarantor, plan_created = card_on_file_plans
    consent = people.card_on_file_consent_day
    consent[plan_guarantor] = np.where(
        consent[plan_guarantor] >= 0, np.minimum(consent[plan_guarantor], plan_created), plan_created
    )
    on_card = transactions["method"] == CARD_ON_FILE
    first_card_payment = np.full(people.count, as_of_day + 1, np.int64)
    np.minimum.at(first_card_payment, transactions["guarantor"][on_card], transactions["day"][on_card])
    paid_by_card = first_card_payment <= as_of_day
    consent = np.where(
        paid_by_card & ((consent < 0) | (consent > first_card_payment)),
        np.minimum(first_card_payment, np.maximum(people.first_visit_day, 0)),
        consent,
    )
    people.card_on_file_consent_day = np.where(paid_by_card, np.minimum(consent, first_card_payment), consent)

    returned = contacts["outcome"] == RETURNED_MAIL
    last_returned = np.full(people.count, -1, np.int64)
    np.maximum.at(last_returned, contacts["guarantor"][returned], contacts["day"][returned])
    contradicted = (last_returned >= 0) & (people.address_verified_day >= last_returned)
    people.address_verified_day = np.where(
        contradicted, last_returned - rng.integers(5, 30, people.count), people.address_verified_day
    )
