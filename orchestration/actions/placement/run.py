"""The placement, recall and refund protocols of one as-of date on ``ops.placement_ledger``.

Placement (like the send ledger: nothing is placed twice, nothing is lost)::

    recover → (manifest of today's batch exists? return it) → rows → GE gate → plan → write → mark

* ``recover``: a ledger row still ``planned`` was reserved by a run that died before ``mark``.
  Its batch's manifest on disk (``<outbox>/<batch date>/placements/``) proves the batch left
  → ``placed``; no manifest proves the opposite → the row is deleted (re-planned by the next
  run, possibly in a later batch).
* ``placement_rows`` takes the eligible guarantors of ``marts.fct_placement_eligibility``, whose
  rule refuses anyone placed before D (the ledger, any batch or episode, or the agency's
  activity), so a guarantor placed or recalled in an earlier batch is never in a later one; a
  re-run of D finds today's manifest and writes nothing.
* The GE suite ``placement_extract`` runs on the rows before anything is planned or written
  (the protective rules read again from their sources, the balance minimum, and the control
  totals parsed back from the exact CSV bytes against the manifest's figures); a critical
  failure raises ``PlacementGateError`` and nothing leaves.
* ``planned`` rows are inserted, the CSV and then the manifest are written (atomic, 0600),
  then the batch's rows become ``placed``.

Recall: accounts of marts.fct_placements still placed (ledger status ``placed``) that need a
recall (marts.fct_placements.needs_recall: dispute, hardship, paid in full, deceased,
bankrupt) go into ``recall_<batch>.csv``, written
once; then their ledger rows become ``recalled`` with recalled_at = D and the reason. A
recall file found on disk (crash after the write) is replayed into the ledger instead.

Refunds: ``refunds/refunds_<YYYYMMDD>.csv`` from marts.fct_refund_items, written once.

Settlements: ``settlements/settlement_offers_<YYYYMMDD>.csv`` from marts.fct_settlement_offers
(proposals for staff with the approval level the policy requires), written once.

Every function takes the warehouse path and holds a write connection only while it runs.
Reports carry counts only (no personal data).
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from orchestration.actions.files import atomic_write
from orchestration.actions.placement import extract

SUITE = "placement_extract"
LEDGER = "ops.placement_ledger"
_DDL = """
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.placement_ledger (
    placement_id VARCHAR PRIMARY KEY, batch_id VARCHAR, guarantor_id VARCHAR,
    encounter_id VARCHAR, placed_at DATE, balance_placed DECIMAL(18,2),
    bureau_reportable BOOLEAN, policy_version VARCHAR, status VARCHAR,
    recalled_at DATE, recall_reason VARCHAR, created_at TIMESTAMP
);
"""


class PlacementGateError(RuntimeError):
    """The placement_extract suite failed critically: no file was written, nobody placed."""

    def __init__(self, result):
        self.result = result
        failed = ", ".join(f"{o.expectation}({o.column}): {o.detail}" for o in result.critical_failures)
        super().__init__(f"Great Expectations suite {result.suite} failed; nothing was placed: {failed}")


@dataclass
class Report:
    batch_id: str
    mode: str = "send"  # send | record (backfill: nothing written)
    candidates: int = 0
    placed: int = 0
    already_done: bool = False
    recovered: dict[str, int] = field(default_factory=dict)
    total_balance: str = "0.00"
    recalled: int = 0
    refund_items: int = 0
    settlement_offers: int = 0
    files: list[str] = field(default_factory=list)
    gate: dict[str, Any] = field(default_factory=dict)

    def as_metadata(self) -> dict[str, Any]:
        d = asdict(self)
        d["files"] = [Path(f).name for f in self.files]
        return d


@contextlib.contextmanager
def _connect(warehouse: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(warehouse), read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_DDL)


def placements_dir(outbox: Path, as_of: date) -> Path:
    return Path(outbox) / as_of.isoformat() / "placements"


def refunds_dir(outbox: Path, as_of: date) -> Path:
    return Path(outbox) / as_of.isoformat() / "refunds"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def recover(con: duckdb.DuckDBPyConnection, outbox: Path) -> dict[str, int]:
    """Resolve ``planned`` rows a crashed run left (see module doc)."""
    out = {"placed": 0, "replanned": 0}
    for (batch,) in con.execute(f"SELECT DISTINCT batch_id FROM {LEDGER} WHERE status = 'planned'").fetchall():
        folder = placements_dir(outbox, extract.batch_date(batch))
        n = con.execute(f"SELECT count(*) FROM {LEDGER} WHERE status = 'planned' AND batch_id = ?", [batch]).fetchone()[
            0
        ]
        if extract.read_manifest(folder, batch) is not None:
            con.execute(f"UPDATE {LEDGER} SET status = 'placed' WHERE status = 'planned' AND batch_id = ?", [batch])
            out["placed"] += n
        else:
            con.execute(f"DELETE FROM {LEDGER} WHERE status = 'planned' AND batch_id = ?", [batch])
            out["replanned"] += n
    return {k: v for k, v in out.items() if v}


CONTROL_COLUMNS = ["file_record_count", "manifest_record_count", "file_total_balance", "manifest_total_balance"]


def gate(rows: list[dict], suites_dir: Path | None = None, control: dict | None = None):
    """Run the placement_extract GE suite on the rows (money as float for GE).

    ``control``: the control totals read back from the file bytes (``extract.control_totals``)
    and the manifest's (``manifest_record_count``, ``manifest_total_balance``), repeated on
    every row so the suite can check they are equal; by default computed from the rows."""
    import pandas as pd  # here, not at module level: the code location loads without pandas

    from orchestration.quality import great_expectations as gx_gate
    from orchestration.quality.gates import expectations_dir

    if control is None:
        data = extract.to_csv(rows, extract.COLUMNS)
        control = extract.control_totals(data) | {
            "manifest_record_count": len(rows),
            "manifest_total_balance": extract.total_balance(rows),
        }
    cols = list(dict.fromkeys(extract.COLUMNS + extract.GATE_COLUMNS))
    df = pd.DataFrame(rows, columns=cols)
    for c in (
        "balance",
        "itemization_amount",
        "payments_since",
        "credits_since",
        "guarantor_balance",
        "placement_min_balance",
    ):
        df[c] = pd.to_numeric(df[c].map(lambda v: None if v is None else float(v)), errors="coerce")
    for c in ("gate_open_dispute", "gate_deceased", "gate_bankrupt", "gate_active_plan", "gate_placed_before"):
        df[c] = df[c].map(lambda v: None if v is None else int(bool(v)))
    for c in CONTROL_COLUMNS:
        df[c] = str(control[c])
    return gx_gate.validate_dataframe(df, SUITE, suites_dir=suites_dir or expectations_dir())


def place(
    *,
    warehouse: Path,
    outbox: Path,
    as_of: date,
    policy_version: str | None = None,
    send: bool = True,
    suites_dir: Path | None = None,
) -> Report:
    """Run the placement protocol for one as-of date; returns counts."""
    batch = extract.batch_id(as_of)
    report = Report(batch, "send" if send else "record")
    out_dir = placements_dir(outbox, as_of)
    with _connect(warehouse) as con:
        ensure_ledger(con)
        if send:
            report.recovered = recover(con, outbox)
        existing = extract.read_manifest(out_dir, batch)
        if existing is not None:
            report.already_done = True
            report.placed = 0
            report.total_balance = existing["total_balance"]
            return report
        rows = extract.placement_rows(con, as_of)
    report.candidates = len(rows)
    data = extract.to_csv(rows, extract.COLUMNS)  # the exact bytes the file will hold
    control = extract.control_totals(data) | {
        "manifest_record_count": len(rows),
        "manifest_total_balance": extract.total_balance(rows),
    }
    result = gate(rows, suites_dir, control)
    report.gate = {
        "success": result.success,
        "critical_failures": len(result.critical_failures),
        "warnings": len(result.warnings),
    }
    if not result.success:
        raise PlacementGateError(result)
    if not rows or not send:
        return report
    import pandas as pd  # here, not at module level: the code location loads without pandas

    version = rows[0].get("policy_version") or policy_version  # what dbt computed with
    created = _now()
    ledger_rows = pd.DataFrame(
        [
            {
                "placement_id": r["placement_id"],
                "batch_id": batch,
                "guarantor_id": r["guarantor_id"],
                "encounter_id": r["encounter_id"],
                "placed_at": as_of,
                "balance_placed": r["balance"],
                "bureau_reportable": bool(r["bureau_reportable"]),
                "policy_version": version,
                "status": "planned",
                "recalled_at": None,
                "recall_reason": None,
                "created_at": created,
            }
            for r in rows
        ]
    )
    with _connect(warehouse) as con:
        con.register("planned_rows", ledger_rows)
        con.execute(
            f"INSERT INTO {LEDGER} SELECT placement_id, batch_id, guarantor_id, encounter_id, "
            "CAST(placed_at AS DATE), CAST(balance_placed AS DECIMAL(18,2)), bureau_reportable, "
            "policy_version, status, CAST(recalled_at AS DATE), CAST(recall_reason AS VARCHAR), "
            "created_at FROM planned_rows"
        )
    manifest = extract.write_batch(
        rows, out_dir, {"batch_id": batch, "policy_version": version, "as_of_date": as_of.isoformat()}, data=data
    )
    with _connect(warehouse) as con:
        con.execute(f"UPDATE {LEDGER} SET status = 'placed' WHERE status = 'planned' AND batch_id = ?", [batch])
    report.placed = manifest["record_count"]
    report.total_balance = manifest["total_balance"]
    report.files += [str(out_dir / extract.csv_name(batch)), str(out_dir / extract.manifest_name(batch))]
    return report


RECALL_SQL = f"""
SELECT p.placement_id, p.guarantor_id, p.recall_reasons AS recall_reason
FROM marts.fct_placements AS p
JOIN {LEDGER} AS l ON l.placement_id = p.placement_id AND l.status = 'placed'
WHERE p.status = 'placed' AND p.needs_recall
ORDER BY p.placement_id
"""


def recall_name(batch: str) -> str:
    return f"recall_{batch}.csv"


def recall(*, warehouse: Path, outbox: Path, as_of: date, send: bool = True) -> Report:
    """Write today's recall file once and mark the recalled ledger rows (see module doc)."""
    batch = extract.batch_id(as_of)
    report = Report(batch, "send" if send else "record")
    path = placements_dir(outbox, as_of) / recall_name(batch)
    with _connect(warehouse) as con:
        ensure_ledger(con)
        if path.exists():  # written by an earlier run of D: replay it, write nothing
            with path.open(newline="") as fh:
                rows = [r for r in csv.DictReader(fh)]
            report.already_done = True
        else:
            rows = extract._rows(con, RECALL_SQL, [])
            report.candidates = len(rows)
            if not rows or not send:
                return report
            atomic_write(path, extract.to_csv(rows, extract.RECALL_COLUMNS))
            report.files.append(str(path))
        if not send:
            return report
        for r in rows:
            con.execute(
                f"UPDATE {LEDGER} SET status = 'recalled', recalled_at = ?, recall_reason = ? "
                "WHERE placement_id = ? AND status = 'placed'",
                [as_of, r["recall_reason"], r["placement_id"]],
            )
        report.recalled = len(rows)
    return report


REFUND_SQL = (
    "SELECT " + ", ".join(extract.REFUND_COLUMNS) + " FROM marts.fct_refund_items ORDER BY due_date, guarantor_id"
)


def refunds_name(as_of: date) -> str:
    return f"refunds_{as_of:%Y%m%d}.csv"


def refund_work_list(*, warehouse: Path, outbox: Path, as_of: date, send: bool = True) -> Report:
    """``refunds/refunds_<YYYYMMDD>.csv``: every item of fct_refund_items (a credit applied within
    the household is staff work too), written once."""
    report = Report(extract.batch_id(as_of), "send" if send else "record")
    path = refunds_dir(outbox, as_of) / refunds_name(as_of)
    with _connect(warehouse, read_only=True) as con:
        rows = extract._rows(con, REFUND_SQL)
    report.refund_items = len(rows)
    if path.exists():
        report.already_done = True
        return report
    if not send or not rows:
        return report
    try:
        atomic_write(path, extract.to_csv(rows, extract.REFUND_COLUMNS))
    except FileExistsError:
        report.already_done = True
        return report
    report.files.append(str(path))
    return report


SETTLEMENT_SQL = (
    "SELECT " + ", ".join(extract.SETTLEMENT_COLUMNS) + " FROM marts.fct_settlement_offers ORDER BY guarantor_id"
)


def settlements_dir(outbox: Path, as_of: date) -> Path:
    return Path(outbox) / as_of.isoformat() / "settlements"


def settlements_name(as_of: date) -> str:
    return f"settlement_offers_{as_of:%Y%m%d}.csv"


def settlement_offers(*, warehouse: Path, outbox: Path, as_of: date, send: bool = True) -> Report:
    """``settlements/settlement_offers_<YYYYMMDD>.csv``: today's proposed offers and who must
    approve them (marts.fct_settlement_offers), written once; a proposal, never a posting."""
    report = Report(extract.batch_id(as_of), "send" if send else "record")
    path = settlements_dir(outbox, as_of) / settlements_name(as_of)
    with _connect(warehouse, read_only=True) as con:
        rows = extract._rows(con, SETTLEMENT_SQL)
    report.settlement_offers = len(rows)
    if path.exists():
        report.already_done = True
        return report
    if not send or not rows:
        return report
    try:
        atomic_write(path, extract.to_csv(rows, extract.SETTLEMENT_COLUMNS))
    except FileExistsError:
        report.already_done = True
        return report
    report.files.append(str(path))
    return report
