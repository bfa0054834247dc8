"""The 835 claims: every adjudication of `adjudication.py` as one CLP row.

`claim_rows` returns a dict of arrays, one entry per claim, in file order (payment day, payer,
encounter, sequence). Amounts are signed cents (a reversal negates the primary's):

- encounter, payer (payer code), day (the payment date, BPR16), sequence (0 primary,
  1 reversal, 2 correction, 3 secondary), status (CLP02)
- charge, paid, responsibility (CLP03-05), control_number (CLP07: the same for a primary, its
  reversal and, half the time, its correction)
- contractual (CO-45), prior_payer_paid (OA-23), deductible (PR-1), coinsurance (PR-2),
  copay (PR-3), not_covered (PR-204), denied_write_off (CO-50/97/29) and denial_reason (0-2)
- provider, service_lines (0: adjustments at claim level; 1 or 2 SVC lines carry them),
  line_split (share of each amount on line 1), first_cpt and second_cpt (0-3: the provider's codes)
"""

from __future__ import annotations

import numpy as np

from .adjudication import Adjudication
from .encounters import Encounters
from .randomness import Randomness

# CLP02 claim status codes
PROCESSED_AS_PRIMARY, PROCESSED_AS_SECONDARY, DENIED, FORWARDED_TO_SECONDARY, REVERSAL = 1, 2, 4, 19, 22
PRIMARY, REVERSAL_OF_PRIMARY, CORRECTION, SECONDARY = range(4)  # sequence within an encounter


def claim_rows(rng: Randomness, encounters: Encounters, adjudication: Adjudication) -> dict:
    n = encounters.count
    claims = {
        name: np.concatenate(parts).astype(np.int64)
        for name, parts in _collect(_adjudication_rows(encounters, adjudication), n).items()
    }
    count = len(claims["encounter"])
    claims["control_number"] = claims["encounter"] * 4 + claims["control_source"] + 10_000_000_000
    claims["provider"] = encounters.provider[claims["encounter"]]
    claims["service_lines"] = np.where(
        claims["lines_allowed"].astype(bool) & rng.chance(0.3, count), np.where(rng.chance(0.5, count), 2, 1), 0
    )
    claims["line_split"] = 0.3 + 0.4 * rng.uniform(count)
    claims["first_cpt"] = rng.integers(0, 3, count)
    claims["second_cpt"] = (claims["first_cpt"] + 1 + rng.integers(0, 2, count)) % 4
    claims["responsibility"] = claims["deductible"] + claims["coinsurance"] + claims["copay"] + claims["not_covered"]
    assert (
        claims["charge"] - claims["paid"]
        == claims["contractual"] + claims["prior_payer_paid"] + claims["responsibility"] + claims["denied_write_off"]
    ).all()
    order = np.lexsort((claims["sequence"], claims["encounter"], claims["payer"], claims["day"]))
    return {name: values[order] for name, values in claims.items()}


def _adjudication_rows(encounters: Encounters, adjudication: Adjudication) -> list[tuple[np.ndarray, dict]]:
    """(which encounters, their column values) for the primaries, reversals, corrections and
    secondaries."""
    primary, secondary, again = adjudication.primary, adjudication.secondary, adjudication.reprocessing
    charge, denied = encounters.charge, primary.denied
    zero = np.zeros(encounters.count, np.int64)
    status = np.where(
        denied, DENIED, np.where(secondary.primary_forwarded, FORWARDED_TO_SECONDARY, PROCESSED_AS_PRIMARY)
    )
    return [
        (
            primary.adjudicated,
            dict(
                payer=encounters.payer,
                day=primary.day,
                sequence=PRIMARY,
                status=status,
                charge=charge,
                paid=np.where(denied, 0, primary.paid),
                contractual=np.where(denied, 0, primary.contractual),
                prior_payer_paid=zero,
                deductible=np.where(denied, 0, primary.deductible),
                coinsurance=np.where(denied, 0, primary.coinsurance),
                copay=np.where(denied, 0, primary.copay),
                not_covered=np.where(denied & primary.denied_to_patient, charge, 0),
                denied_write_off=np.where(denied & ~primary.denied_to_patient, charge, 0),
                denial_reason=primary.denial_reason,
                control_source=0,
                lines_allowed=~denied & (primary.contractual >= 200),
            ),
        ),
        (
            again.reversed,
            dict(
                payer=encounters.payer,
                day=again.reversal_day,
                sequence=REVERSAL_OF_PRIMARY,
                status=REVERSAL,
                charge=-charge,
                paid=-primary.paid,
                contractual=-primary.contractual,
                prior_payer_paid=zero,
                deductible=-primary.deductible,
                coinsurance=-primary.coinsurance,
                copay=-primary.copay,
                not_covered=zero,
                denied_write_off=zero,
                denial_reason=zero,
                control_source=0,
                lines_allowed=False,
            ),
        ),
        (
            again.corrected,
            dict(
                payer=encounters.payer,
                day=again.correction_day,
                sequence=CORRECTION,
                status=PROCESSED_AS_PRIMARY,
                charge=charge,
                paid=again.paid,
                contractual=again.contractual,
                prior_payer_paid=zero,
                deductible=again.deductible,
                coinsurance=again.coinsurance,
                copay=again.copay,
                not_covered=zero,
                denied_write_off=zero,
                denial_reason=zero,
                control_source=np.where(again.same_control_number, 0, 2),
                lines_allowed=again.contractual >= 200,
            ),
        ),
        (
            secondary.adjudicated,
            dict(
                payer=encounters.secondary_payer,
                day=secondary.day,
                sequence=SECONDARY,
                status=PROCESSED_AS_SECONDARY,
                charge=charge,
                paid=secondary.paid,
                contractual=primary.contractual,
                prior_payer_paid=primary.paid,
                deductible=secondary.deductible,
                coinsurance=secondary.coinsurance,
                copay=secondary.copay,
                not_covered=zero,
                denied_write_off=zero,
                denial_reason=zero,
                control_source=3,
                lines_allowed=False,
            ),
        ),
    ]


def _collect(batches: list[tuple[np.ndarray, dict]], n: int) -> dict[str, list[np.ndarray]]:
    """Each batch's values at its encounters (a scalar repeated), column by column."""
    encounter = np.arange(n)
    parts: dict[str, list[np.ndarray]] = {}
    for mask, columns in batches:
        rows = encounter[mask]
        for name, values in dict(encounter=encounter, **columns).items():
            taken = np.broadcast_to(np.asarray(values), (n,))[rows] if np.ndim(values) else np.full(len(rows), values)
            parts.setdefault(name, []).append(taken)
    return parts
