"""The CSV defects of `defect_catalogue.py`: a guarantor file without a required column, and
files whose bad rows sit at documented lines between good ones.

The good rows are real: guarantors and encounters that load, and $10 payments on encounters of
the clinic that still owe at least $20 (on-account payments in a tiny clinic). One bad
transaction re-uses the key of the clinic's first posting (T000000001) with a negative
amount: the older valid version must stay.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .clinic import PROVIDERS
from .dates import DateFormatter, day_date
from .ids import encounter_id, guarantor_id
from .landing_files import write_rows
from .vocabulary import column_names

GUARANTOR_OF_GOOD_ROWS = "G00000001"


def _row(columns: list[str], defaults: dict, **changes) -> list[str]:
    values = {**defaults, **changes}
    return [values[c] for c in columns]


def write_guarantor_defects(pm: Path, as_of_text: str, updated_at: str) -> None:
    columns = [c for c in column_names("guarantors") if c != "last_name"]
    write_rows(
        pm / "guarantors_defect_missing_column.csv",
        columns,
        [
            [
                "GDEF0001",
                "",
                "Ann",
                "1980-02-03",
                "1 Main St",
                "",
                "Chicago",
                "IL",
                "60614",
                "3125550101",
                "",
                "",
                "sms",
                "en",
                updated_at,
                "",
                "",
                "",
                "",
                as_of_text,
                "",
                "",
                updated_at,
            ],
            [
                "GDEF0002",
                "",
                "Bo",
                "1975-05-06",
                "2 Oak Ave",
                "",
                "Chicago",
                "IL",
                "60615",
                "",
                "",
                "",
                "mail",
                "en",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                updated_at,
            ],
            [
                "GDEF0003",
                "",
                "Cy",
                "1990-07-08",
                "3 Elm St",
                "",
                "Evanston",
                "IL",
                "60201",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                updated_at,
            ],
        ],
    )
    columns = column_names("guarantors")
    defaults = dict(
        household_id="",
        first_name="Dee",
        last_name="Fect",
        date_of_birth="1970-01-15",
        address_line1="10 Lake Shore Dr",
        address_line2="",
        city="Chicago",
        state="IL",
        postal_code="60611",
        phone="3125550199",
        email="",
        timezone="America/Chicago",
        preferred_channel="mail",
        language="en",
        sms_consent_at="",
        email_consent_at="",
        card_on_file_consent_at="",
        sms_opt_out_at="",
        email_opt_out_at="",
        address_verified_at=as_of_text,
        deceased_at="",
        bankruptcy_filed_at="",
        updated_at=updated_at,
    )

    def guarantor(gid: str, **changes) -> list[str]:
        return _row(columns, defaults, guarantor_id=gid, **changes)

    write_rows(
        pm / "guarantors_defect_rows.csv",
        columns,
        [
            guarantor("GDEF-GOOD-1"),  # line 2
            guarantor("GDEF-STATE-ZZ", state="ZZ"),  # line 3
            guarantor("GDEF-GOOD-2", first_name="Eve", timezone=""),  # line 4
            guarantor("GDEF-CHANNEL", preferred_channel="fax"),  # line 5
            guarantor("GDEF-BADDOB", date_of_birth="1988-02-30"),  # line 6
            guarantor("GDEF-NOLAST", last_name=""),  # line 7
            guarantor("GDEF-GOOD-3", state="WI", city="Milwaukee", postal_code="53202"),  # line 8
        ],
    )


def write_encounter_defects(pm: Path, as_of_day: int, updated_at: str) -> None:
    columns = column_names("encounters")
    provider = PROVIDERS[0]
    defaults = dict(
        guarantor_id=GUARANTOR_OF_GOOD_ROWS,
        patient_id="P900000001",
        service_date=day_date(as_of_day - 1).isoformat(),
        provider_npi=provider.npi,
        location=provider.location,
        specialty=provider.specialty,
        total_charge="150.00",
        primary_payer_id="SELFPAY",
        secondary_payer_id="",
        claim_submitted_at="",
        updated_at=updated_at,
    )

    def encounter(eid: str, **changes) -> list[str]:
        return _row(columns, defaults, encounter_id=eid, **changes)

    write_rows(
        pm / "encounters_defect_rows.csv",
        columns,
        [
            encounter("EDEF-GOOD-1"),  # 2
            encounter("EDEF-ORPHAN", guarantor_id="G99999999"),  # 3
            encounter("EDEF-GOOD-2", total_charge="89.50"),  # 4
            encounter("EDEF-NEGATIVE", total_charge="-120.00"),  # 5
            encounter("EDEF-FUTURE", service_date=day_date(as_of_day + 5 * 365).isoformat()),  # 6
            encounter("EDEF-NOPATIENT", patient_id=""),  # 7
            encounter("EDEF-GOOD-3", total_charge="210.00"),  # 8
        ],
    )


def write_transaction_defects(
    pm: Path,
    as_of_text: str,
    updated_at: str,
    later_updated_at: str,
    encounter_guarantor: np.ndarray,
    balances: np.ndarray,
    first_posting: dict,
) -> list[str]:
    """Returns the ids of the good transactions."""
    columns = column_names("patient_transactions")
    payment = dict(
        posted_at=as_of_text,
        type="payment",
        reason="",
        amount="10.00",
        method="portal",
        plan_id="",
        updated_at=updated_at,
    )
    good = [
        dict(
            payment,
            transaction_id=f"TDEF-GOOD-{i + 1}",
            guarantor_id=guarantor_id(encounter_guarantor[e]),
            encounter_id=encounter_id(e),
        )
        for i, e in enumerate(np.flatnonzero(balances >= 2000)[:4].tolist())
    ]
    while len(good) < 4:  # tiny clinics: on-account payments instead
        good.append(
            dict(
                payment,
                transaction_id=f"TDEF-GOOD-{len(good) + 1}",
                guarantor_id=GUARANTOR_OF_GOOD_ROWS,
                encounter_id="",
            )
        )
    first_encounter = int(first_posting["encounter"])
    defaults = dict(
        guarantor_id=good[0]["guarantor_id"],
        encounter_id=good[0]["encounter_id"],
        posted_at=as_of_text,
        type="payment",
        reason="",
        amount="25.00",
        method="card",
        plan_id="",
        updated_at=later_updated_at,
    )

    def bad(tid: str, **changes) -> list[str]:
        return _row(columns, defaults, transaction_id=tid, **changes)

    def good_row(i: int) -> list[str]:
        return [good[i][c] for c in columns]

    write_rows(
        pm / "patient_transactions_defect_rows.csv",
        columns,
        [
            good_row(0),  # 2
            bad("TDEF-DOLLAR", amount="$1,200.00"),  # 3
            bad("TDEF-THOUSANDS", amount="1,200.00"),  # 4
            good_row(1),  # 5
            bad("TDEF-GIFT", type="gift"),  # 6
            bad("TDEF-BITCOIN", method="bitcoin"),  # 7
            good_row(2),  # 8
            bad("TDEF-ORPHAN", guarantor_id="G99999999", encounter_id=""),  # 9
            bad(
                "T000000001",
                guarantor_id=guarantor_id(first_posting["guarantor"]),
                encounter_id=encounter_id(first_encounter) if first_encounter >= 0 else "",
                amount="-50.00",
                posted_at=day_date(int(first_posting["day"])).isoformat(),
            ),  # 10
            bad("TDEF-BADDATE", posted_at="2026-13-45"),  # 11
            good_row(3),  # 12
            bad(""),  # 13
        ],
    )
    return [row["transaction_id"] for row in good]


def write_row_defects(
    pm: Path,
    dates: DateFormatter,
    as_of_day: int,
    encounter_guarantor: np.ndarray,
    balances: np.ndarray,
    first_posting: dict,
) -> list[str]:
    """Every CSV defect; returns the ids of the good transactions."""
    as_of_text = day_date(as_of_day).isoformat()
    updated_at = dates.timestamp_text(as_of_day, 10 * 3600)
    write_guarantor_defects(pm, as_of_text, updated_at)
    write_encounter_defects(pm, as_of_day, updated_at)
    return write_transaction_defects(
        pm,
        as_of_text,
        updated_at,
        dates.timestamp_text(as_of_day, 11 * 3600),
        encounter_guarantor,
        balances,
        first_posting,
    )
