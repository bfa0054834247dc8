"""The placement extract of one as-of date (docs/rules.md §8; docs/outputs.md placements/): pure.

* ``batch_id(as_of)``            -> ``P<YYYYMMDD>`` (one batch per as-of date, deterministic);
* ``placement_id(batch, enc)``   -> ``<batch>-<first 16 hex of sha256(encounter_id)>``;
* ``placement_rows(con, as_of)`` -> one row per open encounter (int_placement_encounters,
  balance > 0) of every *eligible* guarantor of the mart (fct_placement_eligibility: the one
  eligibility rule, which already refuses any guarantor placed before — by the pipeline in any
  earlier batch or episode, or known only from the agency's activity; docs/rules.md §8): the
  minimum necessary fields, no clinical detail (no procedure, diagnosis, provider);
* ``write_batch(rows, out_dir, meta)`` -> ``placement_<batch>.csv`` then
  ``placement_<batch>.manifest.json``, atomic, mode 0600, never overwriting what a manifest
  names; the file is read back and its SHA-256 compared before the manifest is written;
* ``control_totals(data)`` -> record count and Σ balance parsed back from the CSV bytes, for
  the gate's "control totals equal the manifest" check. The file layout: docs/placement.md.
  The rules (who is eligible, the itemization, the bureau flag) are all in dbt.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from orchestration.actions.files import atomic_write

COLUMNS = [
    "placement_id",
    "batch_id",
    "guarantor_id",
    "first_name",
    "last_name",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "phone",
    "encounter_id",
    "service_date",
    "balance",
    "itemization_date",
    "itemization_amount",
    "payments_since",
    "credits_since",
    "last_payment_date",
    "documented_attempts",
    "proof_of_contact",
    "bureau_reportable",
]
GATE_COLUMNS = [
    "policy_version",
    "guarantor_balance",
    "placement_min_balance",
    "gate_open_dispute",
    "gate_hardship_state",
    "gate_deceased",
    "gate_bankrupt",
    "gate_active_plan",
    "gate_placed_before",
]
RECALL_COLUMNS = ["placement_id", "guarantor_id", "recall_reason"]
REFUND_COLUMNS = [
    "guarantor_id",
    "household_id",
    "credit_amount",
    "applied_within_household",
    "refund_amount",
    "credit_since",
    "due_date",
    "is_overcharge",
]
SETTLEMENT_COLUMNS = [
    "guarantor_id",
    "balance",
    "age_days",
    "documented_attempts",
    "discount_pct",
    "offer_amount",
    "approval_level",
    "next_approval_level",
    "next_max_discount_pct",
    "as_of_date",
]
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def batch_id(as_of: date) -> str:
    return f"P{as_of:%Y%m%d}"


def batch_date(batch: str) -> date:
    """The as-of date a batch id names (inverse of ``batch_id``)."""
    return date(int(batch[1:5]), int(batch[5:7]), int(batch[7:9]))


def placement_id(batch: str, encounter_id: str) -> str:
    return f"{batch}-{hashlib.sha256(str(encounter_id).encode()).hexdigest()[:16]}"


def csv_name(batch: str) -> str:
    return f"placement_{batch}.csv"


def manifest_name(batch: str) -> str:
    return f"placement_{batch}.manifest.json"


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


PLACEMENT_SQL = """
SELECT
    e.guarantor_id,
    g.first_name, g.last_name, g.address_line1, g.address_line2, g.city, g.state,
    g.postal_code, g.phone,
    pe.encounter_id,
    pe.service_date,
    CAST(pe.balance AS DECIMAL(18, 2)) AS balance,
    e.itemization_date,
    e.itemization_amount,
    e.payments_since_itemization AS payments_since,
    e.credits_since_itemization AS credits_since,
    e.last_payment_date,
    e.documented_attempts,
    e.proof_of_contact_kinds AS proof_of_contact,
    pe.is_bureau_reportable AS bureau_reportable,
    e.policy_version,
    -- for the gate only (not in the file), read again from the protective flags and the plan
    -- states, not from `eligible`
    CAST(e.balance AS DECIMAL(18, 2)) AS guarantor_balance,
    pol.placement_min_balance,
    COALESCE(f.has_open_dispute, false) AS gate_open_dispute,
    COALESCE(f.hardship_state, 'none') AS gate_hardship_state,
    COALESCE(f.is_deceased, false) AS gate_deceased,
    COALESCE(f.is_bankrupt, false) AS gate_bankrupt,
    EXISTS (SELECT 1 FROM intermediate.int_plan_status AS ps
            WHERE ps.guarantor_id = e.guarantor_id AND ps.in_good_standing) AS gate_active_plan,
    EXISTS (SELECT 1 FROM ops.placement_ledger AS pl
            WHERE pl.guarantor_id = e.guarantor_id AND pl.status IN ('placed', 'recalled')
              AND pl.placed_at < e.as_of_date) AS gate_placed_before
FROM marts.fct_placement_eligibility AS e
JOIN intermediate.int_placement_encounters AS pe ON pe.guarantor_id = e.guarantor_id
LEFT JOIN staging.stg_guarantors AS g ON g.guarantor_id = e.guarantor_id
LEFT JOIN intermediate.int_protective_flags AS f ON f.guarantor_id = e.guarantor_id
CROSS JOIN staging.stg_policy AS pol
WHERE e.eligible AND pe.balance > 0
ORDER BY e.guarantor_id, pe.encounter_id
"""


def placement_rows(con: duckdb.DuckDBPyConnection, as_of: date) -> list[dict[str, Any]]:
    """Today's placement rows (see module doc); ``policy_version`` rides along for the
    manifest and the ledger, and the ``GATE_COLUMNS`` for the GE gate (the protective rules
    read again from their sources: open dispute, pending/active hardship, deceased, bankrupt,
    a plan in good standing, a placement of the ledger before D, the guarantor balance against
    the policy minimum); none of them is a CSV column."""
    batch = batch_id(as_of)
    rows = _rows(con, PLACEMENT_SQL)
    for r in rows:
        r["placement_id"] = placement_id(batch, r["encounter_id"])
        r["batch_id"] = batch
    return rows


def escape_cell(value: Any) -> Any:
    """Spreadsheet formula injection (OWASP CSV injection): a text cell that starts with
    = + - @ tab or CR gets a leading apostrophe. Numbers and dates are left alone."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return escape_cell(value)


def to_csv(rows: Iterable[dict], columns: list[str]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([_cell(r.get(c)) for c in columns])
    return buf.getvalue().encode("utf-8")


def total_balance(rows: Iterable[dict]) -> str:
    return f"{sum((Decimal(str(r['balance'])) for r in rows), Decimal('0')):.2f}"


def read_manifest(out_dir: Path, batch: str) -> dict | None:
    path = Path(out_dir) / manifest_name(batch)
    if not path.exists():
        return None
    return json.loads(path.read_text())


def manifest_for(rows: list[dict], data: bytes, meta: dict) -> dict:
    """The manifest of a batch whose file holds ``data``: figures from the rows, hash of the bytes."""
    batch = meta["batch_id"]
    return {
        "batch_id": batch,
        "as_of_date": str(meta["as_of_date"]),
        "policy_version": meta["policy_version"],
        "file": csv_name(batch),
        "record_count": len(rows),
        "total_balance": total_balance(rows),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def control_totals(data: bytes) -> dict:
    """Record count and Σ balance read back from the file bytes (what the agency will see)."""
    reader = csv.DictReader(io.StringIO(data.decode("utf-8")))
    n, total = 0, Decimal("0")
    for r in reader:
        n += 1
        total += Decimal(r["balance"])
    return {"file_record_count": n, "file_total_balance": f"{total:.2f}"}


def write_batch(rows: list[dict], out_dir: Path, manifest: dict, data: bytes | None = None) -> dict:
    """Write the batch CSV then its manifest; returns the manifest.

    ``manifest`` carries ``batch_id``, ``policy_version`` and ``as_of_date``; the record
    count, total balance and SHA-256 are computed here from the rows / the file bytes.
    A manifest already on disk for the batch means the batch left: nothing is written and
    the existing manifest is returned. A CSV without a manifest is the leftover of a crash
    between the two writes (nothing names it, it did not leave): it is replaced.
    """
    out_dir = Path(out_dir)
    batch = manifest["batch_id"]
    existing = read_manifest(out_dir, batch)
    if existing is not None:
        return existing
    if data is None:
        data = to_csv(rows, COLUMNS)
    full = manifest_for(rows, data, manifest)
    path = atomic_write(out_dir / csv_name(batch), data, overwrite=True)
    if hashlib.sha256(Path(path).read_bytes()).hexdigest() != full["sha256"]:  # what is on disk
        Path(path).unlink(missing_ok=True)
        raise OSError(f"{csv_name(batch)}: the file on disk does not match its bytes; no manifest written")
    try:
        atomic_write(out_dir / manifest_name(batch), json.dumps(full, indent=2, sort_keys=True) + "\n")
    except FileExistsError:  # a concurrent writer won: its manifest is the truth
        return read_manifest(out_dir, batch)
    return full
