"""Visits and their claims (pm/encounters): when patients come in, who pays, what it costs.

Each guarantor has 1 + Poisson(1.5) visits spread over the window, mostly on weekdays, for one
of up to three patients of the household; a few guarantors also carry a legacy self-pay visit
from more than a year ago (an old open balance). Coverage belongs to the guarantor (15%
self-pay, 20% of the insured with a secondary payer) and varies on 5% of visits. Insured
claims are submitted a few days after the visit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .clinic import FIRST_NAMES, PAYER_COUNT, PAYER_LABELS, PAYERS, PROVIDER_WEIGHTS, PROVIDERS, SELF_PAY
from .ids import guarantor_id_column, sequence_id_column
from .randomness import Randomness, seconds_of_day
from .table import (
    LazyTable,
    TableRows,
    date_column,
    enum_column,
    id_column,
    money_column,
    text_column,
    timestamp_column,
)
from .text import pick


@dataclass(eq=False)
class Visits:
    """Every visit in service-date order: its guarantor, date, and whether it is legacy."""

    guarantor: np.ndarray
    service_day: np.ndarray
    legacy: np.ndarray


@dataclass(eq=False)
class VisitSpan:
    """Per guarantor: the first and last visit, and the last visit before the as-of date (-1:
    none)."""

    first_day: np.ndarray
    last_day: np.ndarray
    last_day_before_as_of: np.ndarray


@dataclass(eq=False)
class Encounters:
    """One entry per encounter (index = encounter number - 1), in service-date order."""

    guarantor: np.ndarray
    service_day: np.ndarray
    legacy: np.ndarray
    payer: np.ndarray  # payer code; SELF_PAY for an uninsured visit
    secondary_payer: np.ndarray  # -1: none
    provider: np.ndarray
    charge: np.ndarray  # cents
    patient_number: np.ndarray
    patient_first_name: np.ndarray
    visit_second: np.ndarray
    claim_submitted_day: np.ndarray  # -1: not submitted (self-pay, or not yet)
    claim_submitted_second: np.ndarray

    @property
    def count(self) -> int:
        return len(self.guarantor)

    @property
    def insured(self) -> np.ndarray:
        return self.payer != SELF_PAY


def schedule_visits(rng: Randomness, n_guarantors: int, first_day: int, as_of_day: int) -> Visits:
    """Visits on days `first_day`..`as_of_day`, 85% of weekend dates moved to a weekday, plus
    the legacy self-pay visits 365-540 days before the as-of date."""
    per_guarantor = 1 + rng.numpy.poisson(1.5, n_guarantors)
    n_visits = int(per_guarantor.sum())
    guarantor = np.repeat(np.arange(n_guarantors, dtype=np.int64), per_guarantor)
    day = rng.integers(first_day, as_of_day, n_visits)
    weekday = (day + 3) % 7  # 0 Monday .. 6 Sunday
    moved = rng.chance(0.85, n_visits)
    day = np.where((weekday == 5) & moved, day - 1, day)
    day = np.where((weekday == 6) & moved, np.where(day + 1 <= as_of_day, day + 1, day - 2), day)
    day = np.clip(day, first_day, as_of_day)
    legacy_guarantors = np.flatnonzero(rng.chance(0.006, n_guarantors))
    guarantor = np.r_[guarantor, legacy_guarantors]
    day = np.r_[day, as_of_day - rng.integers(365, 540, len(legacy_guarantors))]
    legacy = np.r_[np.zeros(n_visits, bool), np.ones(len(legacy_guarantors), bool)]
    order = np.lexsort((guarantor, day))
    return Visits(guarantor[order], day[order], legacy[order])


def visit_span(visits: Visits, n_guarantors: int, first_day: int, as_of_day: int) -> VisitSpan:
    first = np.full(n_guarantors, as_of_day + 1, np.int64)
    np.minimum.at(first, visits.guarantor, visits.service_day)
    last = np.full(n_guarantors, first_day - 1, np.int64)
    np.maximum.at(last, visits.guarantor, visits.service_day)
    last_before = np.full(n_guarantors, -1, np.int64)
    np.maximum.at(last_before, visits.guarantor, np.where(visits.service_day < as_of_day, visits.service_day, -1))
    return VisitSpan(first, last, last_before)


def bill_visits(rng: Randomness, visits: Visits, guarantor_first_name: np.ndarray, as_of_day: int) -> Encounters:
    """Coverage, provider, charge, patient and claim submission of every visit."""
    payer, secondary = _coverage(rng, visits, len(guarantor_first_name))
    n = len(visits.guarantor)
    provider = rng.choice(len(PROVIDERS), PROVIDER_WEIGHTS, n)
    multiplier = np.array([p.charge_multiplier for p in PROVIDERS])[provider]
    amount = np.exp(rng.numpy.normal(np.log(260.0), 0.75, n)) * multiplier
    amount = np.clip(np.where(visits.legacy, amount * 2.5, amount), 80, 4800)
    charge = np.where(rng.chance(0.7, n), np.round(amount) * 100, np.round(amount * 100)).astype(np.int64)
    patient_of_household = rng.choice(3, [0.6, 0.25, 0.15], n)  # 0: the guarantor
    patient_first_name = np.where(
        patient_of_household == 0, guarantor_first_name[visits.guarantor], rng.integers(0, len(FIRST_NAMES) - 1, n)
    )
    visit_second = seconds_of_day(rng, n, 8, 17)
    submission_lag = np.minimum(rng.numpy.geometric(0.45, n), 9)
    submitted = (payer != SELF_PAY) & (visits.service_day + submission_lag <= as_of_day)
    return Encounters(
        guarantor=visits.guarantor,
        service_day=visits.service_day,
        legacy=visits.legacy,
        payer=payer,
        secondary_payer=secondary,
        provider=provider,
        charge=charge,
        patient_number=visits.guarantor * 3 + patient_of_household + 1,
        patient_first_name=patient_first_name,
        visit_second=visit_second,
        claim_submitted_day=np.where(submitted, visits.service_day + submission_lag, -1),
        claim_submitted_second=rng.integers(18 * 3600, 22 * 3600, n),
    )


def _coverage(rng: Randomness, visits: Visits, n_guarantors: int) -> tuple[np.ndarray, np.ndarray]:
    """Primary and secondary payer code of each visit (legacy visits are self-pay)."""
    shares = np.array([p.insured_share for p in PAYERS])
    primary = np.where(rng.chance(0.15, n_guarantors), SELF_PAY, rng.choice(PAYER_COUNT, shares, n_guarantors))
    secondary = np.where(
        (primary != SELF_PAY) & rng.chance(0.20, n_guarantors), rng.choice(PAYER_COUNT, shares, n_guarantors), -1
    )
    secondary = np.where(
        secondary == primary, (primary + 1 + rng.integers(0, PAYER_COUNT - 2, n_guarantors)) % PAYER_COUNT, secondary
    )
    n = len(visits.guarantor)
    varies = rng.chance(0.05, n)
    payer = np.where(varies, rng.choice(PAYER_COUNT + 1, list(shares * 0.85) + [0.15], n), primary[visits.guarantor])
    payer = np.where(visits.legacy, SELF_PAY, payer)
    secondary_payer = np.where(varies | (payer == SELF_PAY), -1, secondary[visits.guarantor])
    return payer, secondary_payer


def encounter_table(encounters: Encounters) -> TableRows:
    """pm/encounters: a claim's submission updates the row (its previous version has none)."""
    submitted = encounters.claim_submitted_day >= 0
    updated_day = np.where(submitted, encounters.claim_submitted_day, encounters.service_day)
    provider = encounters.provider
    rows = LazyTable(
        {
            "encounter_id": sequence_id_column("E", encounters.count, 9),
            "guarantor_id": guarantor_id_column(encounters.guarantor),
            "patient_id": id_column("P", encounters.patient_number, 9),
            "service_date": date_column(encounters.service_day),
            "provider_npi": text_column(pick([p.npi for p in PROVIDERS], provider)),
            "location": text_column(pick([p.location for p in PROVIDERS], provider)),
            "specialty": text_column(pick([p.specialty for p in PROVIDERS], provider)),
            "total_charge": money_column(encounters.charge),
            "primary_payer_id": enum_column(PAYER_LABELS, encounters.payer),
            "secondary_payer_id": enum_column(PAYER_LABELS, encounters.secondary_payer),
            "claim_submitted_at": date_column(encounters.claim_submitted_day),
            "updated_at": timestamp_column(
                updated_day, np.where(submitted, encounters.claim_submitted_second, encounters.visit_second)
            ),
        }
    )
    previous = rows.replace(
        claim_submitted_at=date_column(np.full(encounters.count, -1)),
        updated_at=timestamp_column(encounters.service_day, encounters.visit_second),
    )
    return TableRows(rows, previous, updated_day, encounters.service_day)
