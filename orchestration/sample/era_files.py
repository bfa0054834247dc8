"""The clinic's remittances: one X12 835 file per payer and payment date (era/<PAYER>_<YYYYMMDD>_1.835).

Each file holds the claims the payer paid that day: the primaries in transactions (ST..SE) of
at most 2,000 claims, the secondaries in one more. Payers add provider-level adjustments (PLB):
an L6 interest payment, a WO overpayment recovery, and a forward balance (FB) when the
recovery exceeds the payment. Their own random stream (seeded from the seed and 835) keeps the
files independent of any draw the rest of the generator adds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.raw.x12 import writer as x12

from .claims import PROCESSED_AS_SECONDARY
from .clinic import (
    CLINIC,
    CLINIC_RECEIVER_ID,
    CLINIC_TIN,
    CPT_CODES,
    FIRST_NAMES_X12,
    LAST_NAMES_X12,
    PAYERS,
    payer_party,
)
from .dates import DateFormatter, day_date
from .encounters import Encounters
from .table import first_of_each_run
from .text import id_text, pick

MAX_CLAIMS_PER_TRANSACTION = 2000


@dataclass(eq=False)
class ClaimTexts:
    """Each claim's CLP..SVC block, and its number of segments."""

    texts: pa.Array
    segments: np.ndarray


@dataclass(eq=False)
class Remittances:
    files: int
    claims: int
    transactions: int
    claim_texts: ClaimTexts


def claim_texts(dates: DateFormatter, claims: dict, encounters: Encounters, guarantor_last_name) -> ClaimTexts:
    """The patient (NM1*QC) is the visit's patient under the guarantor's last name."""
    if not len(claims["encounter"]):
        return ClaimTexts(pa.array([], pa.large_string()), np.zeros(0, np.int64))
    encounter = claims["encounter"]
    cpt = claims["provider"] * 4
    texts, segments = x12.claim_blocks(
        clp01=id_text("E", encounter + 1, 9),
        status=pc.cast(pa.array(claims["status"]), pa.string()),
        charge=claims["charge"],
        paid=claims["paid"],
        resp=claims["responsibility"],
        filing=pick([p.claim_filing_indicator for p in PAYERS], claims["payer"]),
        clp07=pc.cast(pa.array(claims["control_number"]), pa.string()),
        last=pick(LAST_NAMES_X12, guarantor_last_name[encounters.guarantor[encounter]]),
        first=pick(FIRST_NAMES_X12, encounters.patient_first_name[encounter]),
        member=id_text("M", encounters.patient_number[encounter], 10),
        service_date=dates.compact_date(encounters.service_day[encounter]),
        co45=claims["contractual"],
        oa23=claims["prior_payer_paid"],
        pr1=claims["deductible"],
        pr2=claims["coinsurance"],
        pr3=claims["copay"],
        pr204=claims["not_covered"],
        co_denial=claims["denied_write_off"],
        co_denial_reason=pick(["50", "97", "29"], claims["denial_reason"]),
        svc_lines=claims["service_lines"],
        cpt1=pick(CPT_CODES, cpt + claims["first_cpt"]),
        cpt2=pick(CPT_CODES, cpt + claims["second_cpt"]),
        svc_split=claims["line_split"],
    )
    return ClaimTexts(texts, segments)


def remittance(
    claims: dict, texts: ClaimTexts, rows, *, st_control: str, production_date: str, trace: str, **options
) -> x12.Transaction:
    """One ST..SE paying the claims `rows` (all of one payer and payment date) to the clinic."""
    payer = PAYERS[int(claims["payer"][rows[0]])]
    pay_date = day_date(int(claims["day"][rows[0]])).strftime("%Y%m%d")
    return x12.Transaction(
        st_control=st_control,
        payer=payer_party(int(claims["payer"][rows[0]])),
        payee=CLINIC,
        payee_tin=CLINIC_TIN,
        pay_date=pay_date,
        production_date=production_date,
        trace=trace,
        payer_tin=payer.tax_id,
        method=payer.payment_method,
        claims_text=x12.concat_text(texts.texts, rows),
        claims_segments=int(texts.segments[rows].sum()),
        paid_total=int(claims["paid"][rows].sum()),
        payee_npi=CLINIC.id,
        **options,
    )


def write_remittances(out: Path, texts: ClaimTexts, claims: dict, seed: int, say: Callable[[str], None]) -> Remittances:
    folder = out / "era"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 835])
    n = len(claims["encounter"])
    starts = first_of_each_run(claims["day"] * 16 + claims["payer"])
    ends = np.r_[starts[1:], n]
    n_transactions = 0
    step = max(len(starts) // 10, 1)
    for number, (start, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        code, day = int(claims["payer"][start]), int(claims["day"][start])
        payer, pay_date = PAYERS[code], day_date(day).strftime("%Y%m%d")
        production_date = day_date(day - 2).strftime("%Y%m%d")
        transactions = _file_transactions(rng, claims, texts, np.arange(start, end), production_date)
        n_transactions += len(transactions)
        text = x12.interchange(
            transactions,
            sender=payer.id,
            receiver=CLINIC_RECEIVER_ID,
            date=production_date,
            time=f"{6 + code:02d}00",
            isa_control=number + 1,
            gs_control=number + 1,
            newline=payer.line_breaks,
        )
        (folder / f"{payer.id}_{pay_date}_1.835").write_text(text)
        if number % step == 0 and len(starts) > 20:
            say(f"835 files {100 * number // len(starts)}% …")
    return Remittances(len(starts), n, n_transactions, texts)


def _file_transactions(
    rng: np.random.Generator, claims: dict, texts: ClaimTexts, rows: np.ndarray, production_date: str
) -> list[x12.Transaction]:
    """The transactions of one file: primaries split by encounter number into groups of at most
    2,000 claims, then the secondaries."""
    secondary = claims["status"][rows] == PROCESSED_AS_SECONDARY
    groups = []
    primaries = rows[~secondary]
    if len(primaries):
        k = -(-len(primaries) // MAX_CLAIMS_PER_TRANSACTION)
        group_of = claims["encounter"][primaries] % k
        groups += [primaries[group_of == j] for j in range(k)]
    if secondary.any():
        groups.append(rows[secondary])
    payer = PAYERS[int(claims["payer"][rows[0]])]
    pay_date = day_date(int(claims["day"][rows[0]])).strftime("%Y%m%d")
    transactions = []
    for j, group in enumerate(groups):
        if not len(group):
            continue
        paid = int(claims["paid"][group].sum())
        adjustments = _provider_adjustments(rng, paid)
        trace = f"{payer.id[:3]}{pay_date}{j + 1:03d}{int(rng.integers(1000, 9999))}"
        balance = paid - sum(amount for _, amount in adjustments)
        if balance < 0:
            adjustments.append((f"FB:{trace}", balance))
        transactions.append(
            remittance(
                claims,
                texts,
                group,
                st_control=f"{j + 1:04d}",
                production_date=production_date,
                trace=trace,
                plb=adjustments,
                st03=payer.sends_st03,
            )
        )
    return transactions


def _provider_adjustments(rng: np.random.Generator, paid: int) -> list[tuple[str, int]]:
    """PLB (reason[:reference], cents; positive reduces the payment): 8% an L6 interest payment,
    5% of payments of $100+ a WO overpayment recovery of 5-30%."""
    draw = rng.random()
    if draw < 0.08 and paid > 0:
        return [("L6", -int(rng.integers(50, 6000)))]
    if draw < 0.13 and paid >= 10000:
        return [(f"WO:{int(rng.integers(10**9, 10**10))}", int(paid * (0.05 + 0.25 * rng.random())))]
    return []
