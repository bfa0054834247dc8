"""The card-on-file charge batch for the payment processor (issue 9, plan servicing).

Input: ``marts.fct_plan_charges`` (today's due ``plan_charge`` touches: an active plan with
``card_on_file``, the guarantor's card-on-file consent, the installment due and not covered,
no hold). Output: ``<outbox>/<date>/charges/charges_<nnnn>.csv``, written atomically, mode
0600, never overwriting (``orchestration/actions/files.py``), columns :data:`CHARGE_COLUMNS`.

* ``idempotency_key`` is the touch id (hash of guarantor, installment, step): the same on every
  run, so the processor refuses a second charge for an installment even if a batch were handed
  over twice (and the send ledger never plans it twice).
* Never a card number, expiry or CVV: the processor charges the card *it* keeps on file for
  the plan (``plan_id``, ``guarantor_id``). :func:`write_charge_batch` refuses any column that
  is not in :data:`CHARGE_COLUMNS` and any value with a run of 13 or more digits (what a card
  number looks like), naming the touch only.
* ``amount`` is what is still unpaid of the installment (decimal dollars, two places), in
  ``currency`` USD; ``charge_date`` is the as-of date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path

from ..files import csv_bytes, write_to
from .model import SendResult

CHARGE_COLUMNS = (
    "idempotency_key",
    "touch_id",
    "plan_id",
    "installment_number",
    "guarantor_id",
    "amount",
    "currency",
    "charge_date",
)
_CARD_LIKE = re.compile(r"\d{13,}")
_CENT = Decimal("0.01")


def build_charge_rows(charges: Iterable[Mapping]) -> tuple[list[dict], list[SendResult]]:
    """Rows for :func:`write_charge_batch` and the charges skipped (amount not positive)."""
    rows: list[dict] = []
    skipped: list[SendResult] = []
    seen: set[str] = set()
    for c in charges:
        tid = str(c["touch_id"])
        if tid in seen:
            raise ValueError(f"duplicate touch_id {tid}")
        seen.add(tid)
        amount = Decimal(str(c["amount"])) if c.get("amount") is not None else Decimal(0)
        if amount <= 0:
            skipped.append(SendResult(tid, "skipped", "nothing left to charge"))
            continue
        rows.append(
            {
                "idempotency_key": str(c.get("idempotency_key") or tid),
                "touch_id": tid,
                "plan_id": str(c["plan_id"]),
                "installment_number": int(c["installment_number"]),
                "guarantor_id": str(c["guarantor_id"]),
                "amount": str(amount.quantize(_CENT)),
                "currency": "USD",
                "charge_date": str(c["as_of_date"])[:10],
            }
        )
    return rows, skipped


def write_charge_batch(rows: Iterable[Mapping], path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the processor CSV atomically (0600); ``path`` may be a folder (next free
    ``charges_<nnnn>.csv``)."""
    out = []
    for r in rows:
        extra = set(r) - set(CHARGE_COLUMNS)
        if extra:
            raise ValueError(f"touch {r.get('touch_id')}: column(s) {sorted(extra)} are not allowed in a charge batch")
        for k in CHARGE_COLUMNS:
            if _CARD_LIKE.search(str(r[k])) and k not in ("idempotency_key", "touch_id"):
                raise ValueError(f"touch {r['touch_id']}: {k} looks like a card number; refused")
        out.append(r)
    return write_to(path, csv_bytes(CHARGE_COLUMNS, out), prefix="charges_", suffix=".csv", overwrite=overwrite)
