"""The sample clinic: `generate()` writes a landing zone (the input contract of
orchestration/landing/contract.py) for a synthetic clinic, as its systems would export it.

The story, one module per step: patients visit (encounters), the clinic registers the people
responsible for the bills (guarantors) and bills the visits; the insurers adjudicate the
claims (adjudication, claims); the patients pay or do not, ask for plans or hardship relief,
dispute, promise, settle or are placed with an agency (patient_side and the flow modules),
and the clinic's own touches fill the contact log. Then the systems export: the PM system's
CSV files (landing_files), SendGrid's event batches (sendgrid_events) and the payers' 835
files (era_files); `--defects` adds the bad inputs of defect_catalogue.

Everything is vectorised with numpy and pyarrow and driven by one seeded random generator
(randomness); there is no wall clock anywhere, so the same arguments give byte-identical
files, with the same modification times.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from .adjudication import adjudicate
from .claims import claim_rows
from .contact_log import contact_table
from .dates import DateFormatter, day_date, day_number
from .defect_catalogue import DEFECT_FILES, DEFECTS
from .defect_remittances import write_remittance_defects
from .defect_rows import write_row_defects
from .encounters import Encounters, bill_visits, encounter_table, schedule_visits, visit_span
from .era_files import ClaimTexts, claim_texts, write_remittances
from .guarantor_rows import guarantor_table
from .guarantors import register_guarantors, settle_consents_and_addresses
from .landing_files import prepare_landing, stamp_arrivals, write_kind
from .patient_side import play_patient_side
from .randomness import Randomness
from .sendgrid_events import write_sendgrid_events
from .showcase import add_servicing_showcase
from .table import TableRows
from .transactions import transaction_table

__all__ = ["DEFECTS", "DEFECT_FILES", "generate"]

PROGRESS_KINDS = ("encounters", "patient_transactions")  # the large files: say when written


def generate(
    out_dir: Path,
    guarantors: int = 5000,
    seed: int = 7,
    as_of: date = date(2026, 11, 20),
    days: int = 200,
    delta_days: int = 1,
    defects: bool = False,
    clinic_tz: str = "America/Chicago",
    progress: Callable[[str], None] | None = None,
    force: bool = False,
) -> dict:
    """Write a sample landing zone under `out_dir` (`days` of history before `as_of`, one delta
    file per kind for each of the last `delta_days` days); return summary counts."""
    started = time.perf_counter()
    say = progress or (lambda message: None)
    out = Path(out_dir)
    prepare_landing(out, force)
    _check_options(guarantors, days, delta_days)
    rng = Randomness(seed)
    as_of_day = day_number(as_of)
    first_day, first_delta_day = as_of_day - days, as_of_day - delta_days + 1
    dates = DateFormatter(clinic_tz, first_day - 365 * 6, as_of_day + 800)

    # Patients visit; the clinic registers the guarantors and bills the visits.
    visits = schedule_visits(rng, guarantors, first_day, as_of_day)
    say(f"guarantors {guarantors:,} … encounters {len(visits.guarantor):,}")
    people = register_guarantors(rng, as_of_day, visit_span(visits, guarantors, first_day, as_of_day))
    encounters = bill_visits(rng, visits, people.first_name, as_of_day)
    # The insurers adjudicate; the patients pay, plan, dispute, promise, settle or are placed.
    adjudication = adjudicate(rng, encounters, as_of_day)
    claims = claim_rows(rng, encounters, adjudication)
    patients = play_patient_side(rng, people, encounters, adjudication, as_of_day)
    postings = patients.postings.arrays()
    say(f"patient flows … {len(postings['guarantor']):,} postings")
    plans = patients.plans
    settle_consents_and_addresses(
        rng,
        people,
        as_of_day,
        postings,
        (plans.card_on_file_guarantors, plans.card_on_file_created_day),
        patients.contacts.arrays(),
    )

    # The clinic's systems export; SendGrid reports on the e-mail; the payers remit.
    transactions, postings_in_id_order = transaction_table(rng, postings, encounters.visit_second, as_of_day)
    written = _write_csv_files(
        out,
        dates,
        {
            "guarantors": guarantor_table(people, first_delta_day),
            "encounters": encounter_table(encounters),
            "patient_transactions": transactions,
            "payment_plans": plans.table,
            "disputes": patients.disputes,
            "hardship": patients.hardship,
            "contact_log": contact_table(patients.contacts),
            "agency_activity": patients.agency_activity,
        },
        as_of_day,
        first_delta_day,
        say,
    )
    sendgrid = write_sendgrid_events(rng, out, dates, as_of_day, people, patients.email_bounced)
    era = write_remittances(out, claim_texts(dates, claims, encounters, people.last_name), claims, seed, say)

    summary = {
        "guarantors": guarantors,
        "as_of": as_of.isoformat(),
        "seed": seed,
        "rows": {kind: counts["history"] + counts["delta"] for kind, counts in written.items()},
        "files": written,
        "era_files": era.files,
        "era_transactions": era.transactions,
        "era_claims": era.claims,
        "sendgrid_files": sendgrid["files"],
        "sendgrid_events": sendgrid["events"],
        "servicing_showcase": add_servicing_showcase(out, as_of),
    }
    if defects:
        first_posting = {name: values[0] for name, values in postings_in_id_order.items()}
        summary["defects"] = _write_defects(
            out, dates, as_of_day, encounters, patients.balances, first_posting, claims, era.claim_texts
        )
    stamp_arrivals(out, day_date(first_delta_day - 1), clinic_tz)
    summary["seconds"] = round(time.perf_counter() - started, 2)
    say(f"done in {summary['seconds']} s")
    return summary


def _check_options(guarantors: int, days: int, delta_days: int) -> None:
    if guarantors < 1:
        raise ValueError("guarantors must be >= 1")
    if days < 30:
        raise ValueError("days must be >= 30")
    if not 1 <= delta_days <= days // 2:
        raise ValueError("delta_days must be between 1 and days / 2")


def _write_csv_files(
    out: Path,
    dates: DateFormatter,
    tables: dict[str, TableRows],
    as_of_day: int,
    first_delta_day: int,
    say: Callable[[str], None],
) -> dict:
    written = {}
    for kind, table in tables.items():
        written[kind] = write_kind(out, dates, kind, table, as_of_day, first_delta_day)
        if kind in PROGRESS_KINDS:
            say(f"{kind} written … {written[kind]['keys']:,}")
    return written


def _write_defects(
    out: Path,
    dates: DateFormatter,
    as_of_day: int,
    encounters: Encounters,
    balances,
    first_posting: dict,
    claims: dict,
    texts: ClaimTexts,
) -> dict:
    """The bad inputs of defect_catalogue; returns what the pipeline must make of them."""
    resolved: dict = {}
    good = write_row_defects(out / "pm", dates, as_of_day, encounters.guarantor, balances, first_posting)
    remittances = write_remittance_defects(out / "era", as_of_day, claims, texts, encounters.count)
    if remittances is not None:
        resolved["era"] = remittances
    resolved["patient_transactions_good"] = good
    resolved["list"] = DEFECTS
    return resolved
