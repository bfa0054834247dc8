"""The rows the 835 reader builds: their columns, named positions and builders.

Rows are built as lists / tuples in ``COLUMNS`` order (not dicts: the reader's speed depends on
it); ``CLAIM`` and ``SERVICE_LINE`` name the positions of the rows that later segments complete
(``claim[CLAIM.service_date_start]``, not ``claim[13]``).  Row shapes (money is
``decimal.Decimal`` in ``Remittance``, dates are ``datetime.date``):

``transactions``
    transaction_index, st_control_number, payer_id, payer_name, payment_amount (BPR02 as
    written), credit_debit_flag (BPR03), payment_method (BPR04), payment_date,
    payment_date_source ('BPR16' / 'GS04' / None), trace_number (TRN02), payee_id (N1*PE N104),
    claim_count, status ('loaded' / 'held'), hold_reason, version (ST03, else GS08).
``claims`` (loaded transactions only)
    transaction_index, claim_index (0-based position of the CLP in the file, held transactions
    included), patient_control_number (CLP01 trimmed), claim_status (CLP02 as written), charge,
    paid, patient_responsibility (CLP05, 0 when empty), claim_filing_indicator,
    payer_claim_control_number, pr_deductible / pr_coinsurance / pr_copay / pr_other (CAS group
    PR reasons 1 / 2 / 3 / anything else; the claim-level PR CAS when the claim has any,
    otherwise the service-level PR CAS -- never both), service_date_start / service_date_end
    (DTM*232 / DTM*233, else min / max of the service-line DTM*472/150/151 dates), payer_id,
    payment_date.
``adjustments``
    claim_index, level ('claim' / 'service'), service_line_index (None at claim level),
    group_code, reason_code, amount, quantity (one row per CAS triplet).
``service_lines``
    claim_index, service_line_index (0-based within its claim), procedure (SVC01 with the
    component separator shown as ':'), charge (SVC02), paid (SVC03), units (SVC05),
    service_date (DTM*472, else DTM*150).
``provider_adjustments``
    transaction_index, provider_id (PLB01), fiscal_period_date (PLB02), reason_code, reference,
    amount (as written: a positive amount reduces the payment); one row per PLB reason/amount pair.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field

# Column order of the rows built by the reader (``parse_835_columns`` returns these columns).
COLUMNS: dict[str, tuple[str, ...]] = {
    "transactions": (
        "transaction_index",
        "st_control_number",
        "payer_id",
        "payer_name",
        "payment_amount",
        "credit_debit_flag",
        "payment_method",
        "payment_date",
        "payment_date_source",
        "trace_number",
        "payee_id",
        "claim_count",
        "status",
        "hold_reason",
        "version",
    ),
    "claims": (
        "transaction_index",
        "claim_index",
        "patient_control_number",
        "claim_status",
        "charge",
        "paid",
        "patient_responsibility",
        "claim_filing_indicator",
        "payer_claim_control_number",
        "pr_deductible",
        "pr_coinsurance",
        "pr_copay",
        "pr_other",
        "service_date_start",
        "service_date_end",
        "payer_id",
        "payment_date",
    ),
    "adjustments": (
        "claim_index",
        "level",
        "service_line_index",
        "group_code",
        "reason_code",
        "amount",
        "quantity",
    ),
    "service_lines": (
        "claim_index",
        "service_line_index",
        "procedure",
        "charge",
        "paid",
        "units",
        "service_date",
    ),
    "provider_adjustments": (
        "transaction_index",
        "provider_id",
        "fiscal_period_date",
        "reason_code",
        "reference",
        "amount",
    ),
}
# the money columns of each table
MONEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "transactions": ("payment_amount",),
    "claims": ("charge", "paid", "patient_responsibility", "pr_deductible", "pr_coinsurance", "pr_copay", "pr_other"),
    "adjustments": ("amount", "quantity"),
    "service_lines": ("charge", "paid", "units"),
    "provider_adjustments": ("amount",),
}
# (attribute, row layout, money columns) of the tables kept as row lists (not transactions)
ROW_TABLES = tuple(
    (t, COLUMNS[t], MONEY_COLUMNS[t]) for t in ("claims", "adjustments", "service_lines", "provider_adjustments")
)


def _positions(table: str):
    names = COLUMNS[table]
    return namedtuple(f"{table}_positions", names)(*range(len(names)))


CLAIM = _positions("claims")  # CLAIM.paid == 5
SERVICE_LINE = _positions("service_lines")
# the four PR sums of a claim row, in PR reason order 1 / 2 / 3 / other
PR_SUMS = slice(CLAIM.pr_deductible, CLAIM.pr_other + 1)


@dataclass
class Remittance:
    """Everything read from one 835 file (see the module docstring for the row shapes)."""

    transactions: list[dict] = field(default_factory=list)  # one per ST..SE
    claims: list[dict] = field(default_factory=list)  # CLPs of loaded transactions
    adjustments: list[dict] = field(default_factory=list)  # CAS triplets of loaded claims
    service_lines: list[dict] = field(default_factory=list)  # SVCs of loaded claims
    provider_adjustments: list[dict] = field(default_factory=list)  # PLB pairs, loaded tx only
    warnings: list[str] = field(default_factory=list)  # file-level warnings


@dataclass
class Rows:
    """What the dispatch loop builds: ``Remittance`` with rows as sequences in ``COLUMNS`` order
    and money as the text of the amount as written (a key of the file's ``State.money`` memo),
    except in the four PR sums when more than one amount went into them
    (the sum's exact text, see ``values.sum_text``).  Claim and service-line rows are lists
    (completed by later segments), the others tuples."""

    transactions: list[dict] = field(default_factory=list)
    claims: list[list] = field(default_factory=list)
    adjustments: list[tuple] = field(default_factory=list)
    service_lines: list[list] = field(default_factory=list)
    provider_adjustments: list[tuple] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def new_transaction(transaction_index: int, st_control_number: str, version: str | None) -> dict:
    """The row of an ST, completed by BPR, TRN, N1 and its SE."""
    return {
        "transaction_index": transaction_index,
        "st_control_number": st_control_number,
        "payer_id": None,
        "payer_name": None,
        "payment_amount": None,
        "credit_debit_flag": None,
        "payment_method": None,
        "payment_date": None,
        "payment_date_source": None,
        "trace_number": None,
        "payee_id": None,
        "claim_count": 0,
        "status": None,
        "hold_reason": None,
        "version": version,
    }


def new_claim(
    e: list[str],
    transaction_index: int,
    claim_index: int,
    charge: str,
    paid: str,
    responsibility: str,
    payer_id,
    payment_date,
) -> list:
    """The row of a CLP (elements ``e``, padded to 8), in ``COLUMNS["claims"]`` order; its PR
    sums and service dates are completed by its CAS and DTM segments and ``close_claim``.
    The CLP branch of ``segments.read_segments`` inlines it for speed (tests/raw/x12/test_rows.py
    checks both build the same row); so does the SVC branch with ``new_service_line``."""
    return [
        transaction_index,
        claim_index,
        e[1].strip(),
        e[2],
        charge,
        paid,
        responsibility,
        e[6] or None,
        e[7] or None,
        "0",
        "0",
        "0",
        "0",
        None,
        None,
        payer_id,
        payment_date,
    ]


def new_service_line(claim_index: int, line_index: int, procedure: str, charge, paid, units) -> list:
    """The row of an SVC, in ``COLUMNS["service_lines"]`` order; its DTM sets the date."""
    return [claim_index, line_index, procedure, charge, paid, units, None]


def close_claim(claim: list, cpr: list | None, spr: list | None, dmin, dmax) -> None:
    """Finish a claim row: PR sums (claim level wins over service level) and line-date fallback.

    The CLP branch of ``segments.read_segments`` inlines the same code for speed.
    """
    src = cpr if cpr is not None else spr
    if src is not None:
        claim[PR_SUMS] = src
    if dmin is not None:
        if claim[CLAIM.service_date_start] is None:
            claim[CLAIM.service_date_start] = dmin
        if claim[CLAIM.service_date_end] is None:
            claim[CLAIM.service_date_end] = dmax
