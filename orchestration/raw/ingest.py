"""The ingest step: every new landing file into the raw schema, one transaction per file.

Order: guarantors, encounters, the other CSVs (references are checked against what is
already loaded), then 835s and SendGrid events. A file is committed together with its ledger
row, so a crash mid-ingest leaves no half-loaded file and a re-run picks up where it stopped.

No landing file stops the ingest (docs/landing.md): a file that cannot be read, is not settled,
is not the contract's format or makes a loader fail is recorded in the ledger with its status
and reason, alone, and every other file loads.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from orchestration.landing.contract import CSV_TABLES
from orchestration.policy.policy import Policy
from orchestration.raw import files
from orchestration.raw.checked_casts import CastContext
from orchestration.raw.csv_loader import SerialReadNeeded, load_csv
from orchestration.raw.events_loader import load_events
from orchestration.raw.schema import ensure_schema

log = logging.getLogger(__name__)

# raw tables each landing kind feeds (for asset metadata and checks)
KIND_TABLES = {spec.name: (spec.name,) for spec in CSV_TABLES} | {
    "era": (
        "remittance_transactions",
        "remittance_claims",
        "remittance_adjustments",
        "remittance_service_lines",
        "remittance_provider_adjustments",
    ),
    "sendgrid_events": ("sendgrid_events",),
}
APPEND_ONLY_KINDS = ("era", "sendgrid_events")  # rows kept per file version, not upserted by key


@dataclass
class IngestReport:
    outcomes: list[files.FileOutcome] = field(default_factory=list)
    unrecognized: list[str] = field(default_factory=list)  # landing files no kind matches
    later: list[str] = field(default_factory=list)  # backfill: files that arrived after its date

    def for_kind(self, kind: str) -> list[files.FileOutcome]:
        return [o for o in self.outcomes if o.file.kind == kind]

    def summary(self, kind: str) -> dict[str, int]:
        rows = self.for_kind(kind)
        count = lambda s: sum(1 for o in rows if o.status == s)  # noqa: E731
        return {
            "files_new": len(rows),
            "files_loaded": sum(1 for o in rows if o.status.startswith("loaded")),
            "files_quarantined": count("quarantined") + count("rejected_file"),
            "files_duplicate": count("duplicate"),
            "files_refused": count("refused"),
            "files_waiting": count("waiting"),
            "rows_loaded": sum(o.rows_loaded for o in rows),
            "rows_rejected": sum(o.rows_rejected for o in rows),
        }


def write_policy(con: duckdb.DuckDBPyConnection, policy: Policy) -> None:
    """The effective policy as tables dbt reads: raw.policy (one row) and raw.policy_<list>."""
    import pandas as pd

    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    frames = {"policy": pd.DataFrame([policy.scalar_row()])}
    frames |= {name: pd.DataFrame(rows) for name, rows in policy.list_tables().items()}
    for name, df in frames.items():
        con.register("_policy_df", df)
        con.execute(f"CREATE OR REPLACE TABLE raw.{name} AS SELECT * FROM _policy_df")
        con.unregister("_policy_df")


def ingest_kind(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    kind: str,
    *,
    ctx: CastContext,
    as_of: date | None = None,
    run_id: str | None = None,
    progress: Callable[[str], None] | None = None,
    arrived_by: datetime | None = None,
    settle: files.Settle | None = None,
) -> list[files.FileOutcome]:
    """Load every new file of one landing kind (arrived by `arrived_by`, when given, and settled
    by `settle`); returns what happened to each."""
    to_load, unloaded = files.new_files(con, landing, kind, arrived_by, settle)
    files.record(con, unloaded, as_of, run_id)
    outcomes = list(unloaded)
    spec = next((s for s in CSV_TABLES if s.name == kind), None)
    if spec is None:
        # 835s and events: the whole batch in one transaction with its ledger rows (fast); if
        # anything goes wrong in it, file by file, so that one file never holds back another
        outcomes += _load_isolated(
            con, to_load, lambda batch, serial=False: _load_batch(con, kind, batch), as_of, run_id
        )
        if progress and to_load:
            progress(f"{kind}: {len(to_load)} new files")
    for i, f in enumerate(to_load if spec is not None else [], 1):
        outcomes += _load_isolated(
            con, [f], lambda batch, serial=False: [load_csv(con, spec, batch[0], ctx, serial=serial)], as_of, run_id
        )
        if progress and (i % 50 == 0 or i == len(to_load)):
            progress(f"{kind}: {i}/{len(to_load)} new files")
    for o in outcomes:
        if o.status in ("quarantined", "rejected_file", "refused", "waiting"):
            log.warning("%s %s: %s", o.status, o.file.name, o.reason)
    return outcomes


def _load_batch(con: duckdb.DuckDBPyConnection, kind: str, batch: list[files.LandingFile]):
    if kind == "era":
        from orchestration.raw.era_loader import load_era_files

        return load_era_files(con, batch)
    return [load_events(con, f) for f in batch]


class _ChangedWhileLoading(Exception):
    """A file's size or time changed while it was read: what was read may be half of it."""


def _load_in_transaction(
    con: duckdb.DuckDBPyConnection, batch: list[files.LandingFile], load, as_of, run_id
) -> list[files.FileOutcome]:
    """Run `load(batch)` and record its ledger rows in one transaction; a refused CSV leaves
    nothing, and nothing is kept of a batch in which a file changed while it was read."""
    con.execute("BEGIN TRANSACTION")
    try:
        try:
            outcomes = load(batch)
        except SerialReadNeeded:  # a CSV with a line break inside a quoted value
            con.execute("ROLLBACK")
            con.execute("BEGIN TRANSACTION")
            outcomes = load(batch, serial=True)
        if any(files.changed_on_disk(f) for f in batch):
            raise _ChangedWhileLoading()
        if len(outcomes) == 1 and outcomes[0].status in ("quarantined", "rejected_file"):
            con.execute("ROLLBACK")  # nothing of a refused file stays (its temp tables too)
            con.execute("BEGIN TRANSACTION")
        _replace_failed_versions(con, outcomes)
        files.record(con, outcomes, as_of, run_id)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return outcomes


def _replace_failed_versions(con: duckdb.DuckDBPyConnection, outcomes: list[files.FileOutcome]) -> None:
    """A new version of an 835 or events file (same name, new content) whose older version
    failed a raw quality gate replaces that version's rows -- their rows are kept per file, not
    upserted by key -- and the old failure closes (orchestration/quality/gate_memory.py)."""
    candidates = [o for o in outcomes if o.file.kind in APPEND_ONLY_KINDS and o.status.startswith("loaded")]
    if not candidates:
        return
    failed: dict[str, set[str]] = {}  # file name -> SHA-256 of its versions that failed
    for name, sha in con.execute(
        "SELECT DISTINCT file_name, file_sha256 FROM raw.gate_failures WHERE resolved_at IS NULL"
    ).fetchall():
        failed.setdefault(name, set()).add(sha)
    for o in candidates:
        for sha in sorted(failed.get(o.file.name, set()) - {o.file.sha256}):
            for t in KIND_TABLES[o.file.kind]:
                col = "_file_sha256" if t == "sendgrid_events" else "file_sha256"
                con.execute(f"DELETE FROM raw.{t} WHERE {col} = ?", [sha])
            con.execute(
                "UPDATE raw.gate_failures SET resolved_at = ?, resolution = ? "
                "WHERE file_sha256 = ? AND resolved_at IS NULL",
                [files.utcnow(), "replaced by a corrected version of the same file", sha],
            )
            o.warnings.append("replaces the version of this file that failed a quality gate")


def _load_isolated(
    con: duckdb.DuckDBPyConnection, batch: list[files.LandingFile], load, as_of, run_id
) -> list[files.FileOutcome]:
    """`_load_in_transaction` on the batch; when it fails, on each file alone. A file that still
    fails alone is recorded `quarantined` with the error (no row value in it) and nothing of it
    is kept; a file that changed while it was read is put back to `waiting`. So no file, however
    malformed, stops the ingest or holds back another file."""
    if not batch:
        return []
    try:
        return _load_in_transaction(con, batch, load, as_of, run_id)
    except Exception as exc:  # noqa: BLE001 -- contained per file below, never hidden
        if len(batch) > 1:
            return [o for f in batch for o in _load_isolated(con, [f], load, as_of, run_id)]
        f = batch[0]
        if isinstance(exc, _ChangedWhileLoading):
            out = files.FileOutcome(
                f,
                status="waiting",
                reason="changed while it was being loaded "
                "(still being written?): nothing of it was kept; left for the next run",
            )
            f.sha256 = None
        else:
            out = files.FileOutcome(
                f,
                status="quarantined",
                reason=f"could not be loaded: {describe_error(exc)}; nothing of this file was stored",
            )
            log.warning("loading %s failed (%s at %s)", f.name, type(exc).__name__, _where(exc))
        files.record(con, [out], as_of, run_id)
        return [out]


_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")


def describe_error(exc: BaseException) -> str:
    """An error for a ledger reason: its kind and first line, quoted values cut out (they may be
    row content), no absolute path."""
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {_QUOTED.sub('…', first)[:200]}".rstrip(": ")


def _where(exc: BaseException) -> str:
    """file:line of the innermost frame of an error (for the log: where, not what)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f"{Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}" if tb is not None else "?"


def end_of_day_utc(day: date, clinic_tz: str) -> datetime:
    """The instant (naive UTC) the clinic-local day `day` ends: midnight before the next day."""
    local = datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(clinic_tz))
    return local.astimezone(UTC).replace(tzinfo=None)


def ingest(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    policy: Policy,
    *,
    today: date,
    as_of: date | None = None,
    run_id: str | None = None,
    progress: Callable[[str], None] | None = None,
    arrived_by: datetime | None = None,
    kind_done: Callable[[str], None] | None = None,
    started_at: datetime | None = None,
) -> IngestReport:
    """Everything new in the landing zone, in dependency order. With `arrived_by` (a backfill:
    the end of its as-of date) only the files modified by then; the others wait. `kind_done(kind)`
    is called when a kind's files are committed (its quality gate can start).

    `started_at` (naive UTC) is the run's start: files modified less than the policy's
    `landing.settle_seconds` before it are left `waiting` for a later run, and an `updated_at`
    later than it plus `landing.updated_at_future_minutes` is a row error. Without it (a tool or
    test loading a folder it has just written) every file counts as settled and the limit is
    taken from now."""
    ensure_schema(con)
    write_policy(con, policy)
    settle = files.Settle(started_at, policy["landing.settle_seconds"]) if started_at is not None else None
    ctx = CastContext.for_run(
        policy.clinic_tz, today, started_at or files.utcnow(), policy["landing.updated_at_future_minutes"]
    )
    report = IngestReport(unrecognized=files.unrecognized(landing))
    for name in report.unrecognized:
        log.warning("not loaded: %s matches no landing file kind (see docs/landing.md for the names)", name)
    unrecognized = files.unrecognized_outcomes(con, landing)
    files.record(con, unrecognized, as_of, run_id)
    report.outcomes += unrecognized
    for o in unrecognized:
        log.warning("%s %s: %s", o.status, o.file.name, o.reason)
    if arrived_by is not None:
        report.later = files.arrived_after(landing, arrived_by)
        if report.later:
            log.info(
                "%d landing files arrived after %s UTC: left for the runs of their dates",
                len(report.later),
                arrived_by.isoformat(sep=" ", timespec="seconds"),
            )
    for kind in [s.name for s in CSV_TABLES] + ["era", "sendgrid_events"]:
        report.outcomes += ingest_kind(
            con,
            landing,
            kind,
            ctx=ctx,
            as_of=as_of,
            run_id=run_id,
            progress=progress,
            arrived_by=arrived_by,
            settle=settle,
        )
        if kind_done is not None:
            kind_done(kind)
    return report
