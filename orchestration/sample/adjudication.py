"""What the insurers decide (the 835 claims) and what is left for the patient.

An insured claim is adjudicated 10-40 days after the visit: an allowed amount (the rest is the
contractual CO-45 write-off), the patient's copay (PR-3), deductible (PR-1) and coinsurance
(PR-2), the payer paying the rest; 5% are denied (to the patient as PR-204, or written off).
A secondary payer, where there is one, pays part of the patient's share 7-30 days later. A few
primaries are reversed (CLP02 22) and re-adjudicated with a corrected amount, some after the
secondary paid. The patient's responsibility is that of the latest effective adjudication
(the secondary's when there is one); self-pay visits owe their charge from the visit on.
All amounts are integer cents, one entry per encounter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .clinic import MEDICARE
from .encounters import Encounters
from .randomness import Randomness


@dataclass(eq=False)
class PrimaryAdjudication:
    day: np.ndarray
    adjudicated: np.ndarray  # by the as-of date
    copay_plan: np.ndarray  # the plan's copay (0: none), collected at the front desk
    copay: np.ndarray  # PR-3
    deductible: np.ndarray  # PR-1
    coinsurance: np.ndarray  # PR-2
    paid: np.ndarray
    contractual: np.ndarray  # CO-45
    denied: np.ndarray
    denied_to_patient: np.ndarray  # PR-204 (else the clinic writes the charge off)
    denial_reason: np.ndarray  # 0 CO-50, 1 CO-97, 2 CO-29
    responsibility: np.ndarray  # the patient's after this adjudication

    @property
    def patient_share(self) -> np.ndarray:
        """PR-1 + PR-2 + PR-3 (before any denial)."""
        return self.deductible + self.coinsurance + self.copay


@dataclass(eq=False)
class SecondaryAdjudication:
    day: np.ndarray
    adjudicated: np.ndarray
    responsibility: np.ndarray  # what the patient still owes after it
    paid: np.ndarray
    deductible: np.ndarray  # that remainder, split back into PR-1/2/3
    coinsurance: np.ndarray
    copay: np.ndarray
    primary_forwarded: np.ndarray  # the primary's CLP02 is 19 (processed, forwarded to the secondary)


@dataclass(eq=False)
class Reprocessing:
    """A reversal of the primary (same CLP07, amounts negated) and its corrected re-adjudication."""

    reversed: np.ndarray
    reversal_day: np.ndarray
    corrected: np.ndarray
    correction_day: np.ndarray
    same_control_number: np.ndarray
    contractual: np.ndarray
    deductible: np.ndarray
    coinsurance: np.ndarray
    copay: np.ndarray
    paid: np.ndarray

    @property
    def responsibility(self) -> np.ndarray:
        return self.deductible + self.coinsurance + self.copay


@dataclass(eq=False)
class Adjudication:
    primary: PrimaryAdjudication
    secondary: SecondaryAdjudication
    reprocessing: Reprocessing
    responsibility: np.ndarray  # the patient's, per encounter (0 while pending)
    settled_day: np.ndarray  # when that responsibility was set (-1: pending)
    pending: np.ndarray  # insured and not (or no longer) adjudicated


def adjudicate(rng: Randomness, encounters: Encounters, as_of_day: int) -> Adjudication:
    primary = _primary(rng, encounters, as_of_day)
    secondary = _secondary(rng, encounters, primary, as_of_day)
    reprocessing = _reprocessing(rng, encounters, primary, secondary, as_of_day)
    responsibility, settled_day, pending = _patient_responsibility(encounters, primary, secondary, reprocessing)
    return Adjudication(primary, secondary, reprocessing, responsibility, settled_day, pending)


def _primary(rng: Randomness, encounters: Encounters, as_of_day: int) -> PrimaryAdjudication:
    n, charge = encounters.count, encounters.charge
    day = encounters.service_day + np.round(rng.numpy.triangular(10, 17, 40, n)).astype(np.int64)
    adjudicated = encounters.insured & (encounters.claim_submitted_day >= 0) & (day <= as_of_day)
    allowed = np.round(charge * (0.40 + 0.45 * rng.uniform(n))).astype(np.int64)
    copay_plan = np.where(rng.chance(0.45, n), np.array([2000, 2500, 3000, 4000, 5000])[rng.integers(0, 4, n)], 0)
    copay = np.minimum(copay_plan, allowed)
    after_copay = allowed - copay
    has_deductible = rng.chance(0.30, n)
    large_deductible = rng.chance(0.2, n)
    deductible_dollars = np.where(large_deductible, rng.integers(600, 2500, n), rng.integers(50, 600, n))
    deductible = np.where(has_deductible, np.minimum(after_copay, deductible_dollars * 100), 0)
    after_deductible = after_copay - deductible
    rate = np.array([0.0, 0.1, 0.2, 0.3])[rng.choice(4, [0.25, 0.2, 0.4, 0.15], n)]
    rate = np.where(encounters.payer == MEDICARE, 0.2, rate)
    coinsurance = np.round(after_deductible * rate).astype(np.int64)
    denied = adjudicated & rng.chance(0.05, n)
    denied_to_patient = denied & rng.chance(0.5, n)
    denial_reason = rng.integers(0, 2, n)
    patient_share = deductible + coinsurance + copay
    return PrimaryAdjudication(
        day=day,
        adjudicated=adjudicated,
        copay_plan=copay_plan,
        copay=copay,
        deductible=deductible,
        coinsurance=coinsurance,
        paid=after_deductible - coinsurance,
        contractual=charge - allowed,
        denied=denied,
        denied_to_patient=denied_to_patient,
        denial_reason=denial_reason,
        responsibility=np.where(denied, np.where(denied_to_patient, charge, 0), patient_share),
    )


def _secondary(
    rng: Randomness, encounters: Encounters, primary: PrimaryAdjudication, as_of_day: int
) -> SecondaryAdjudication:
    n = encounters.count
    share = primary.patient_share
    day = primary.day + rng.integers(7, 30, n)
    has_secondary = primary.adjudicated & ~primary.denied & (encounters.secondary_payer >= 0)
    adjudicated = has_secondary & (share > 0) & (day <= as_of_day)
    left = np.where(rng.chance(0.4, n), 0, np.round(share * (0.05 + 0.35 * rng.uniform(n))).astype(np.int64))
    left = np.minimum(left, share)
    copay = np.minimum(primary.copay, left)
    deductible = np.minimum(primary.deductible, left - copay)
    return SecondaryAdjudication(
        day=day,
        adjudicated=adjudicated,
        responsibility=left,
        paid=share - left,
        deductible=deductible,
        coinsurance=left - copay - deductible,
        copay=copay,
        primary_forwarded=has_secondary & rng.chance(0.3, n),
    )


def _reprocessing(
    rng: Randomness,
    encounters: Encounters,
    primary: PrimaryAdjudication,
    secondary: SecondaryAdjudication,
    as_of_day: int,
) -> Reprocessing:
    """3% of the primaries of single-payer claims are reversed 10-60 days later (65% corrected
    the same day, others 5-30 days on); 4% of those with a secondary are reprocessed after it
    (the secondary still stands). A correction moves part of the write-off and of the
    patient's share to the payer."""
    n = encounters.count
    reversed_ = primary.adjudicated & ~primary.denied & (encounters.secondary_payer < 0) & rng.chance(0.03, n)
    reversal_day = primary.day + rng.integers(10, 60, n)
    reversed_ &= reversal_day <= as_of_day
    same_day = rng.chance(0.65, n)
    correction_day = np.where(same_day, reversal_day, reversal_day + rng.integers(5, 30, n))
    after_secondary = secondary.adjudicated & rng.chance(0.04, n)
    late_day = secondary.day + rng.integers(10, 40, n)
    after_secondary &= late_day <= as_of_day
    reversed_ = reversed_ | after_secondary
    reversal_day = np.where(after_secondary, late_day, reversal_day)
    correction_day = np.where(after_secondary, late_day, correction_day)
    same_control_number = rng.chance(0.5, n)
    extra_paid = np.round(primary.contractual * (0.05 + 0.35 * rng.uniform(n))).astype(np.int64)
    share = primary.patient_share
    moved = np.where(rng.chance(0.4, n), np.round(share * (0.2 + 0.6 * rng.uniform(n))).astype(np.int64), 0)
    from_coinsurance = np.minimum(primary.coinsurance, moved)
    from_deductible = np.minimum(primary.deductible, moved - from_coinsurance)
    from_copay = moved - from_coinsurance - from_deductible
    return Reprocessing(
        reversed=reversed_,
        reversal_day=reversal_day,
        corrected=reversed_ & (correction_day <= as_of_day),
        correction_day=correction_day,
        same_control_number=same_control_number,
        contractual=primary.contractual - extra_paid,
        deductible=primary.deductible - from_deductible,
        coinsurance=primary.coinsurance - from_coinsurance,
        copay=primary.copay - from_copay,
        paid=primary.paid + extra_paid + moved,
    )


def _patient_responsibility(
    encounters: Encounters, primary: PrimaryAdjudication, secondary: SecondaryAdjudication, reprocessing: Reprocessing
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Responsibility, the day it was set, and pending, per encounter: the charge for self-pay,
    else the latest effective adjudication (primary, its correction, the secondary); a
    reversal not yet corrected leaves the claim pending."""
    self_pay = ~encounters.insured
    responsibility = np.where(self_pay, encounters.charge, primary.responsibility)
    settled_day = np.where(self_pay, encounters.service_day, primary.day)
    corrected = reprocessing.corrected
    responsibility = np.where(corrected, reprocessing.responsibility, responsibility)
    settled_day = np.where(corrected, reprocessing.correction_day, settled_day)
    pending = (encounters.insured & ~primary.adjudicated) | (reprocessing.reversed & ~corrected)
    responsibility = np.where(secondary.adjudicated, secondary.responsibility, responsibility)
    settled_day = np.where(secondary.adjudicated, secondary.day, settled_day)
    return np.where(pending, 0, responsibility), np.where(pending, -1, settled_day), pending
