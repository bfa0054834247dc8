"""The 835 defects of `defect_catalogue.py`, built from copies of real primary adjudications.

Eight claims are taken from one payer and payment date (exact re-deliveries of adjudications
already in era/, same CLP07 and date), so every defect file is a plausible resend whose fault
is the only difference: cut short, unbalanced, wrong SE count, sent twice, BPR16 missing, the
4010 version, an unknown segment, a control-number mismatch, a CLP01 matching no encounter.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from orchestration.raw.x12 import writer as x12

from .claims import PROCESSED_AS_PRIMARY, REVERSAL
from .clinic import CLINIC_RECEIVER_ID
from .dates import day_date
from .era_files import ClaimTexts, remittance
from .ids import encounter_id

UNMATCHED_CLP01 = "EDEF-NO-SUCH-ENCOUNTER"


def pick_claims(claims: dict, n_encounters: int) -> list[int]:
    """Eight claim rows (repeated when fewer exist) of the payer and date with the most paid
    single-adjudication primaries; none when the clinic has no claim."""
    per_encounter = np.bincount(claims["encounter"], minlength=n_encounters)
    eligible = (
        (claims["status"] == PROCESSED_AS_PRIMARY) & (per_encounter[claims["encounter"]] == 1) & (claims["paid"] > 0)
    )
    if not eligible.any():
        eligible = claims["status"] != REVERSAL
    key = claims["day"] * 16 + claims["payer"]
    if eligible.any():
        keys, counts = np.unique(key[eligible], return_counts=True)
        candidates = np.flatnonzero(eligible & (key == keys[np.argmax(counts)]))
    else:
        candidates = np.zeros(0, np.int64)
    if not len(candidates):
        return []
    picked = candidates[np.linspace(0, len(candidates) - 1, num=min(8, len(candidates))).astype(int)].tolist()
    while len(picked) < 8:
        picked.append(picked[len(picked) % len(picked)])
    return picked


def write_remittance_defects(
    era: Path, as_of_day: int, claims: dict, texts: ClaimTexts, n_encounters: int
) -> dict | None:
    """Write the 835 defect files; return, per file, the CLP01s it holds by expected outcome
    (None when the clinic has no claim to copy)."""
    picked = pick_claims(claims, n_encounters)
    if len(picked) < 2:
        return None

    def transaction(rows: list[int], st_control: str, **options) -> x12.Transaction:
        pay_date = day_date(int(claims["day"][rows[0]])).strftime("%Y%m%d")
        return remittance(
            claims,
            texts,
            rows,
            st_control=st_control,
            production_date=pay_date,
            trace=f"DEF{pay_date}{st_control}",
            **options,
        )

    def interchange(transactions: list[x12.Transaction], control: int, **options) -> str:
        return x12.interchange(
            transactions,
            sender="DEFECTS",
            receiver=CLINIC_RECEIVER_ID,
            date=day_date(as_of_day).strftime("%Y%m%d"),
            time="0900",
            isa_control=900000000 + control,
            gs_control=9000 + control,
            **options,
        )

    def clp01(rows: list[int]) -> list[str]:
        return [encounter_id(claims["encounter"][row]) for row in rows]

    a, b = picked[:4], picked[4:8] or picked[:1]
    whole = interchange([transaction(a[:2], "0001"), transaction(a[2:] or a[:1], "0002")], 1)
    files = {
        "defect_truncated.835": whole[: whole.index("CLP*", whole.index("ST*835*0002")) + 20],
        "defect_unbalanced.835": interchange(
            [transaction(b[:2], "0001", bpr_delta=1000), transaction(b[2:] or b[:1], "0002")], 2, newline=True
        ),
        "defect_bad_se_count.835": interchange([transaction(a[:2], "0001", se_delta=2)], 3),
        "defect_duplicate_a.835": interchange([transaction(b[:1], "0001")], 4),
        "defect_missing_bpr16.835": interchange([transaction(a[:1], "0001", omit_bpr16=True)], 5),
        "defect_version_4010.835": interchange(
            [transaction(b[:1], "0001", version="004010X091A1")], 6, version="004010X091A1"
        ),
    }
    files["defect_duplicate_b.835"] = files["defect_duplicate_a.835"]
    unmatched = transaction(a[:1], "0001")
    unmatched.claims_text = x12.concat_text(texts.texts, [a[0]]).replace(
        f"CLP*{encounter_id(claims['encounter'][a[0]])}*", f"CLP*{UNMATCHED_CLP01}*", 1
    )
    files["defect_unmatched_claim.835"] = interchange([unmatched], 7)
    segments = int(texts.segments[a[0]])
    files["defect_unknown_segment.835"] = (
        interchange([transaction(a[:1], "0001")], 8)
        .replace("LX*1~", "LX*1~ZZZ*UNKNOWN SEGMENT*42~", 1)
        .replace(f"SE*{segments + 14}*0001~", f"SE*{segments + 15}*0001~", 1)
    )
    files["defect_control_mismatch.835"] = interchange([transaction(b[:1], "0001")], 9).replace(
        f"IEA*1*{900000009:09d}~", f"IEA*1*{900000099:09d}~", 1
    )
    for name, text in files.items():
        (era / name).write_text(text)
    return {
        "defect_unknown_segment.835": {"loaded": clp01(a[:1])},
        "defect_control_mismatch.835": {"loaded": clp01(b[:1])},
        "defect_truncated.835": {"clp01": clp01(a)},
        "defect_unbalanced.835": {"held": clp01(b[:2]), "loaded": clp01(b[2:] or b[:1])},
        "defect_bad_se_count.835": {"loaded": clp01(a[:2])},
        "defect_duplicate_a.835": {"loaded": clp01(b[:1])},
        "defect_missing_bpr16.835": {"loaded": clp01(a[:1])},
        "defect_version_4010.835": {"loaded": clp01(b[:1])},
        "defect_unmatched_claim.835": {"unmatched": [UNMATCHED_CLP01]},
    }
