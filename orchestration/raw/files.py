"""Finding new files in the landing zone and recording what happened to each (the file ledger).

A file is identified by its SHA-256: the same bytes under two names, or sent twice, load once.
Hashing is skipped for a file whose (name, size, mtime) the ledger already holds.

A file's modification time is when it arrived. A backfill run for date D sees only the files
that had arrived by the end of D (`arrived_by`), as the daily run of D did; later files wait
for the runs of their own dates (docs/operations.md, "Backfills").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

# landing kinds: name -> (folder, glob patterns)
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "guarantors": ("pm", ("guarantors*.csv",)),
    "encounters": ("pm", ("encounters*.csv",)),
    "patient_transactions": ("pm", ("patient_transactions*.csv",)),
    "payment_plans": ("pm", ("payment_plans*.csv",)),
    "disputes": ("ops", ("disputes*.csv",)),
    "hardship": ("ops", ("hardship*.csv",)),
    "contact_log": ("ops", ("contact_log*.csv",)),
    "agency_activity": ("ops", ("agency_activity*.csv",)),
    "era": ("era", ("*",)),
    "sendgrid_events": ("events/sendgrid", ("*.json",)),
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass
class LandingFile:
    path: Path
    kind: str
    name: str            # path relative to the landing root, '/'-separated
    size: int
    mtime_ns: int
    sha256: str = ""


@dataclass
class FileOutcome:
    """What happened to one file; becomes one row of raw.file_ledger."""
    file: LandingFile
    status: str = "loaded"          # loaded | loaded_with_warnings | quarantined | rejected_file | duplicate
    reason: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    warnings: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def list_landing(root: Path, kind: str, arrived_by: datetime | None = None) -> list[LandingFile]:
    """Files of `kind` in name order; with `arrived_by` (UTC), only those modified by then."""
    folder, patterns = KINDS[kind]
    limit_ns = _ns(arrived_by) if arrived_by is not None else None
    base = root / folder
    if not base.is_dir():
        return []
    seen: dict[Path, LandingFile] = {}
    for pattern in patterns:
        for p in base.glob(pattern):
            if p.is_file() and not p.name.startswith(".") and p not in seen:
                st = p.stat()
                if limit_ns is not None and st.st_mtime_ns > limit_ns:
                    continue
                seen[p] = LandingFile(p, kind, p.relative_to(root).as_posix(), st.st_size, st.st_mtime_ns)
    return sorted(seen.values(), key=lambda f: f.name)


def _ns(instant: datetime) -> int:
    """Nanoseconds since the epoch of a naive-UTC or aware datetime."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    return int(instant.timestamp()) * 10**9 + instant.microsecond * 1000


def arrived_after(root: Path, arrived_by: datetime) -> list[str]:
    """Names of landing files (of any kind) modified after `arrived_by`."""
    return sorted({f.name for kind in KINDS for f in list_landing(root, kind)} -
                  {f.name for kind in KINDS for f in list_landing(root, kind, arrived_by)})


def unrecognized(root: Path) -> list[str]:
    """Files in a landing folder that match no landing kind (e.g. `pm/Guarantors.CSV`,
    `ops/charges.csv`): never loaded, so the ingest step names them in a warning."""
    folders: dict[str, set[Path]] = {}
    for kind, (folder, _) in KINDS.items():
        folders.setdefault(folder, set()).update(f.path for f in list_landing(root, kind))
    out = []
    for folder, matched in folders.items():
        base = root / folder
        if base.is_dir():
            out += [p.relative_to(root).as_posix() for p in base.iterdir()
                    if p.is_file() and not p.name.startswith(".") and p not in matched]
    return sorted(out)


def new_files(con: duckdb.DuckDBPyConnection, root: Path, kind: str,
              arrived_by: datetime | None = None) -> tuple[list[LandingFile], list[FileOutcome]]:
    """Files of `kind` not loaded before (and arrived by `arrived_by`, when given), in name
    order, and duplicates to record.

    Returns (to_load, duplicates). A file whose bytes the ledger already holds under another
    name (or the same name) is a duplicate: it is recorded once and never loaded.
    """
    known_stat = {(r[0], r[1], r[2]) for r in con.execute(
        "SELECT file_name, size_bytes, mtime_ns FROM raw.file_ledger").fetchall()}
    known_sha = {r[0]: r[1] for r in con.execute(
        "SELECT file_sha256, min(file_name) FROM raw.file_ledger "
        "WHERE status <> 'duplicate' GROUP BY 1").fetchall()}
    to_load: list[LandingFile] = []
    dups: list[FileOutcome] = []
    for f in list_landing(root, kind, arrived_by):
        if (f.name, f.size, f.mtime_ns) in known_stat:
            continue
        f.sha256 = sha256_of(f.path)
        first = known_sha.get(f.sha256)
        if first == f.name:          # the same file, touched: nothing new
            _update_stat(con, f)
        elif first is not None:
            dups.append(FileOutcome(f, status="duplicate",
                                    reason=f"same content (SHA-256) as {first}: loaded once"))
        else:
            known_sha[f.sha256] = f.name
            to_load.append(f)
    return to_load, dups


def _update_stat(con: duckdb.DuckDBPyConnection, f: LandingFile) -> None:
    con.execute("UPDATE raw.file_ledger SET size_bytes = ?, mtime_ns = ? WHERE file_name = ? AND file_sha256 = ?",
                [f.size, f.mtime_ns, f.name, f.sha256])


def record(con: duckdb.DuckDBPyConnection, outcomes: list[FileOutcome], run_as_of: object = None,
           run_id: str | None = None) -> None:
    """Append ledger rows. A file name seen before with other bytes gets a warning."""
    now = utcnow()
    rows = []
    # (name, sha) of the files whose name the ledger holds with other bytes: one query per batch
    changed_files = {tuple(r) for r in con.execute(
        "SELECT DISTINCT i.file_name, i.file_sha256 FROM raw.file_ledger l JOIN "
        "(SELECT unnest(?::VARCHAR[]) AS file_name, unnest(?::VARCHAR[]) AS file_sha256) i "
        "ON l.file_name = i.file_name AND l.file_sha256 <> i.file_sha256",
        [[o.file.name for o in outcomes], [o.file.sha256 for o in outcomes]]).fetchall()} if outcomes else set()
    for o in outcomes:
        f = o.file
        changed = (f.name, f.sha256) in changed_files
        warnings = list(o.warnings)
        if changed and o.status != "duplicate":
            warnings.append("file changed after it was loaded: the new content was loaded as a new version")
        status = o.status
        if status == "loaded" and warnings:
            status = "loaded_with_warnings"
        rows.append((f.name, f.kind, f.sha256, f.size, f.mtime_ns, status, o.reason, o.rows_read,
                     o.rows_loaded, o.rows_rejected, "; ".join(warnings) or None,
                     ", ".join(o.extra_columns) or None,
                     datetime.fromtimestamp(f.mtime_ns / 1e9, timezone.utc).replace(tzinfo=None),
                     now, run_as_of, run_id))
    row_sql = "(" + ", ".join(["?"] * 16) + ")"
    for i in range(0, len(rows), 500):   # one INSERT per 500 rows: executemany runs one per row
        chunk = rows[i:i + 500]
        con.execute("INSERT INTO raw.file_ledger VALUES " + ", ".join([row_sql] * len(chunk)),
                    [v for r in chunk for v in r])
