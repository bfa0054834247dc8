"""Finding new files in the landing zone and recording what happened to each (the file ledger).

A file is identified by its SHA-256: the same bytes under two names, or sent twice, load once.
Hashing is skipped for a file whose (name, size, mtime) the ledger already holds.

What is read (docs/landing.md, "Layout" and "Files being written"):
- regular files only, and nothing outside the landing folder: a symbolic link whose target is
  outside it (the kind folders themselves may be links the operator set up), a dangling link,
  a folder or a pipe named like a data file, and a file that cannot
  be read (permissions) each get one ledger row with status `refused` and the reason, and are
  looked at again on every run (a fixed permission loads the file);
- settled files only: a file modified less than `landing.settle_seconds` (policy) before the
  run started may still be being written; it gets a ledger row with status `waiting` and is
  loaded by a later run, once unchanged for that long. A file that changes while it is loaded
  is put back to `waiting` too.

A file's modification time is when it arrived. A backfill run for date D sees only the files
that had arrived by the end of D (`arrived_by`), as the daily run of D did; later files wait
for the runs of their own dates (docs/operations.md, "Backfills").
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
LOADED_STATUSES = ("loaded", "loaded_with_warnings")
NOT_READ_STATUSES = ("refused", "waiting")  # no SHA-256: looked at again on every run


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class LandingFile:
    path: Path
    kind: str
    name: str  # path relative to the landing root, '/'-separated
    size: int
    mtime_ns: int
    sha256: str | None = ""


@dataclass
class FileOutcome:
    """What happened to one file; becomes one row of raw.file_ledger."""

    file: LandingFile
    # loaded | loaded_with_warnings | quarantined | rejected_file | duplicate | refused | waiting
    status: str = "loaded"
    reason: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    warnings: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Settle:
    """The settle rule of a run: a file modified within `seconds` of the run's start (before it,
    or after it by less than that: a clock a little ahead) may still be being written. A time
    further ahead was set on purpose (a copy keeping times, another machine's clock): settled."""

    started_at: datetime  # naive UTC
    seconds: float

    def waiting(self, f: LandingFile) -> str | None:
        if self.seconds <= 0:
            return None
        age = (_ns(self.started_at) - f.mtime_ns) / 1e9
        if -self.seconds < age < self.seconds:
            return (
                f"still being written? modified {max(age, 0):.0f} s before the run started; a file is "
                f"loaded once unchanged for {self.seconds:g} s (policy landing.settle_seconds): "
                "left for the next run"
            )
        return None


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _inside(path: Path, roots: tuple[Path, ...]) -> bool:
    return any(path == r or r in path.parents for r in roots)


def _refusal(p: Path, roots: tuple[Path, ...]) -> tuple[str | None, os.stat_result]:
    """(why the entry is not read, or None; its stat). A link is followed only when its target
    is inside the landing folder (`roots`: the landing root and the kind folder, resolved)."""
    st = os.lstat(p)
    if stat.S_ISLNK(st.st_mode):
        target = p.resolve()
        if not target.exists():
            return "a dangling symbolic link (its target does not exist): nothing to read", st
        if not _inside(target, roots):
            return (
                "a symbolic link to a file outside the landing folder: not read (the pipeline reads "
                "nothing outside the landing folder; copy the file in instead)"
            ), st
        st = os.stat(p)
    if stat.S_ISDIR(st.st_mode):
        return "a folder named like a data file: not read (put the files themselves in the folder)", st
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file (a pipe, socket or device): not read", st
    if not os.access(p, os.R_OK):
        return "not readable: permission denied (give the pipeline's user read access; retried every run)", st
    return None, st


def scan_landing(
    root: Path, kind: str, arrived_by: datetime | None = None
) -> tuple[list[LandingFile], list[FileOutcome]]:
    """Files of `kind` in name order (with `arrived_by`, UTC, only those modified by then), and
    the entries named like them that are not read, as `refused` outcomes."""
    folder, patterns = KINDS[kind]
    limit_ns = _ns(arrived_by) if arrived_by is not None else None
    base = root / folder
    if not base.is_dir():
        return [], []
    # the kind folder may itself be a link the operator set up (era/ -> the clearinghouse's drop
    # folder): what is in it counts as inside the landing folder, a link out of it does not
    roots = (root.resolve(), base.resolve())
    seen: dict[Path, LandingFile] = {}
    refused: dict[Path, FileOutcome] = {}
    if not os.access(base, os.R_OK | os.X_OK):
        st = os.stat(base)
        f = LandingFile(base, kind, base.relative_to(root).as_posix() + "/", st.st_size, st.st_mtime_ns, None)
        return [], [
            FileOutcome(
                f,
                status="refused",
                reason="the folder cannot be read (permission denied): "
                "nothing in it is loaded (give the pipeline's user access; retried every run)",
            )
        ]
    for pattern in patterns:
        for p in base.glob(pattern):
            if p.name.startswith(".") or p in seen or p in refused:
                continue  # hidden: temporary names of uploads in progress
            try:
                why, st = _refusal(p, roots)
            except (OSError, RuntimeError) as exc:  # vanished meanwhile, or a loop of links
                if not os.path.lexists(p):
                    continue
                loop = isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP
                why = (
                    "a symbolic link that leads back to itself (a loop of links): nothing to read"
                    if loop
                    else f"could not be looked at: {exc.strerror or type(exc).__name__}"
                )
                st = os.lstat(p)
            if limit_ns is not None and st.st_mtime_ns > limit_ns:
                continue
            f = LandingFile(p, kind, display_name(p, root), st.st_size, st.st_mtime_ns)
            if why is None and f.name != p.relative_to(root).as_posix():
                why = "the file name is not valid UTF-8 (shown with \ufffd): rename the file"
            if why is None:
                seen[p] = f
            else:
                f.sha256 = None
                refused[p] = FileOutcome(f, status="refused", reason=why)
    return (sorted(seen.values(), key=lambda f: f.name), sorted(refused.values(), key=lambda o: o.file.name))


def display_name(p: Path, root: Path) -> str:
    """The name relative to the landing root, as the ledger can hold it (a byte of a file name
    that is not UTF-8 becomes U+FFFD)."""
    name = p.relative_to(root).as_posix()
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def list_landing(root: Path, kind: str, arrived_by: datetime | None = None) -> list[LandingFile]:
    """Readable files of `kind` in name order; with `arrived_by` (UTC), only those modified by then."""
    return scan_landing(root, kind, arrived_by)[0]


def _ns(instant: datetime) -> int:
    """Nanoseconds since the epoch of a naive-UTC or aware datetime."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return int(instant.timestamp()) * 10**9 + instant.microsecond * 1000


def arrived_after(root: Path, arrived_by: datetime) -> list[str]:
    """Names of landing files (of any kind) modified after `arrived_by`."""
    return sorted(
        {f.name for kind in KINDS for f in list_landing(root, kind)}
        - {f.name for kind in KINDS for f in list_landing(root, kind, arrived_by)}
    )


def _unrecognized_paths(root: Path) -> list[Path]:
    folders: dict[str, set[Path]] = {}
    for kind, (folder, _) in KINDS.items():
        files, refused = scan_landing(root, kind)
        folders.setdefault(folder, set()).update([f.path for f in files] + [o.file.path for o in refused])
    out = []
    for folder, matched in folders.items():
        base = root / folder
        if base.is_dir() and os.access(base, os.R_OK | os.X_OK):
            out += [p for p in base.iterdir() if p.is_file() and not p.name.startswith(".") and p not in matched]
    return sorted(out)


def unrecognized(root: Path) -> list[str]:
    """Files in a landing folder that match no landing kind (e.g. `pm/Guarantors.CSV`,
    `pm/guarantors.csv.gz`, `ops/charges.csv`): never loaded; the ingest step names them in a
    warning and in the ledger (`unrecognized_outcomes`)."""
    return [display_name(p, root) for p in _unrecognized_paths(root)]


def unrecognized_outcomes(con: duckdb.DuckDBPyConnection, root: Path) -> list[FileOutcome]:
    """A `refused` ledger outcome for each unrecognized file not recorded as it is yet: the
    names its folder takes and, for a recognised format (`guarantors.csv.gz`), what it is."""
    from orchestration.raw import sniff

    known = {
        tuple(r)
        for r in con.execute(
            "SELECT file_name, size_bytes, mtime_ns FROM raw.file_ledger WHERE kind = 'unrecognized'"
        ).fetchall()
    }
    out = []
    for p in _unrecognized_paths(root):
        st = p.stat()
        f = LandingFile(p, "unrecognized", display_name(p, root), st.st_size, st.st_mtime_ns, None)
        if (f.name, f.size, f.mtime_ns) in known:
            continue
        folder = p.parent.relative_to(root).as_posix()
        names = ", ".join(f"{folder}/{pat}" for _, (fo, pats) in KINDS.items() if fo == folder for pat in pats)
        reason = f"the name matches no landing file kind ({names}): not loaded"
        try:
            with p.open("rb") as fh:
                looks = sniff.binary_format(fh.read(sniff.HEAD_BYTES))
        except OSError:
            looks = None
        if looks:
            reason += f"; the file looks like {looks}"
        out.append(FileOutcome(f, status="refused", reason=reason))
    return out


def new_files(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    kind: str,
    arrived_by: datetime | None = None,
    settle: Settle | None = None,
) -> tuple[list[LandingFile], list[FileOutcome]]:
    """Files of `kind` not loaded before (and arrived by `arrived_by`, when given), in name
    order, and the outcomes to record without loading anything.

    Returns (to_load, outcomes). Outcomes: a file whose bytes the ledger already holds under
    another name is a `duplicate` (recorded once, never loaded); an entry that cannot be read is
    `refused`, a file not settled yet (`settle`) is `waiting` -- each recorded once for as long
    as it stays as it is.
    """
    known_stat = {
        (r[0], r[1], r[2])
        for r in con.execute(
            "SELECT file_name, size_bytes, mtime_ns FROM raw.file_ledger WHERE file_sha256 IS NOT NULL"
        ).fetchall()
    }
    known_unread = {
        tuple(r)
        for r in con.execute(
            "SELECT file_name, size_bytes, mtime_ns, status, reason FROM raw.file_ledger "
            f"WHERE status IN {NOT_READ_STATUSES}"
        ).fetchall()
    }
    known_sha = {
        r[0]: r[1]
        for r in con.execute(
            "SELECT file_sha256, min(file_name) FROM raw.file_ledger "
            "WHERE status <> 'duplicate' AND file_sha256 IS NOT NULL GROUP BY 1"
        ).fetchall()
    }
    candidates, refused = scan_landing(root, kind, arrived_by)
    to_load: list[LandingFile] = []
    outcomes: list[FileOutcome] = []

    def unread(o: FileOutcome) -> None:
        f = o.file
        f.sha256 = None
        same = {(f.name, f.size, f.mtime_ns, o.status)}
        if not any(k[:4] in same and (o.status == "waiting" or k[4] == o.reason) for k in known_unread):
            outcomes.append(o)

    for o in refused:
        unread(o)
    for f in candidates:
        if (f.name, f.size, f.mtime_ns) in known_stat:
            continue
        why = settle.waiting(f) if settle is not None else None
        if why:
            unread(FileOutcome(f, status="waiting", reason=why))
            continue
        try:
            f.sha256 = sha256_of(f.path)
        except OSError as exc:
            unread(
                FileOutcome(
                    f,
                    status="refused",
                    reason=f"could not be read: {exc.strerror or type(exc).__name__}"
                    + (
                        " (give the pipeline's user read access; retried every run)"
                        if isinstance(exc, PermissionError)
                        else ""
                    ),
                )
            )
            continue
        first = known_sha.get(f.sha256)
        if first == f.name:  # the same file, touched: nothing new
            _update_stat(con, f)
        elif first is not None:
            outcomes.append(
                FileOutcome(f, status="duplicate", reason=f"same content (SHA-256) as {first}: loaded once")
            )
        else:
            known_sha[f.sha256] = f.name
            to_load.append(f)
    return to_load, outcomes


def changed_on_disk(f: LandingFile) -> bool:
    """True when the file's size or modification time is no longer what it was when listed
    (it was written to, or replaced, meanwhile)."""
    try:
        st = os.stat(f.path)
    except OSError:
        return True
    return (st.st_size, st.st_mtime_ns) != (f.size, f.mtime_ns)


def changed_since_loaded(con: duckdb.DuckDBPyConnection, root: Path) -> list[str]:
    """Landing files whose bytes are no longer those the warehouse loaded: for each file name,
    its latest loaded version is compared with the file now (size and time, then the SHA-256
    when those differ: a file only touched is not a change). A file removed since is not a
    change (what was loaded was whole). Returns "name: what changed" lines."""
    rows = con.execute(f"""
        SELECT file_name, size_bytes, mtime_ns, file_sha256 FROM raw.file_ledger
        WHERE file_sha256 IS NOT NULL AND status <> 'duplicate'
        QUALIFY row_number() OVER (PARTITION BY file_name ORDER BY loaded_at DESC) = 1
            AND status IN {LOADED_STATUSES}""").fetchall()
    out = []
    for name, size, mtime_ns, sha in rows:
        p = root / name
        try:
            st = os.stat(p)
        except OSError:
            continue
        if (st.st_size, st.st_mtime_ns) == (size, mtime_ns):
            continue
        try:
            now_sha = sha256_of(p)
        except OSError:
            continue
        if now_sha != sha:
            when = datetime.fromtimestamp(st.st_mtime_ns / 1e9, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            out.append(
                f"{name}: changed after it was loaded (now {st.st_size} bytes, modified {when}; loaded: {size} bytes)"
            )
    return out


def _update_stat(con: duckdb.DuckDBPyConnection, f: LandingFile) -> None:
    con.execute(
        "UPDATE raw.file_ledger SET size_bytes = ?, mtime_ns = ? WHERE file_name = ? AND file_sha256 = ?",
        [f.size, f.mtime_ns, f.name, f.sha256],
    )


def record(
    con: duckdb.DuckDBPyConnection, outcomes: list[FileOutcome], run_as_of: object = None, run_id: str | None = None
) -> None:
    """Append ledger rows. A file name seen before with other bytes gets a warning."""
    now = utcnow()
    rows = []
    # (name, sha) of the files whose name the ledger holds with other bytes: one query per batch
    read = [o for o in outcomes if o.file.sha256]
    changed_files = (
        {
            tuple(r)
            for r in con.execute(
                "SELECT DISTINCT i.file_name, i.file_sha256 FROM raw.file_ledger l JOIN "
                "(SELECT unnest(?::VARCHAR[]) AS file_name, unnest(?::VARCHAR[]) AS file_sha256) i "
                "ON l.file_name = i.file_name AND l.file_sha256 <> i.file_sha256 "
                f"WHERE l.status IN {LOADED_STATUSES}",
                [[o.file.name for o in read], [o.file.sha256 for o in read]],
            ).fetchall()
        }
        if read
        else set()
    )
    for o in outcomes:
        f = o.file
        changed = (f.name, f.sha256) in changed_files
        warnings = list(o.warnings)
        if changed and o.status not in ("duplicate", *NOT_READ_STATUSES):
            warnings.append("file changed after it was loaded: the new content was loaded as a new version")
        status = o.status
        if status == "loaded" and warnings:
            status = "loaded_with_warnings"
        rows.append(
            (
                f.name,
                f.kind,
                f.sha256 or None,
                f.size,
                f.mtime_ns,
                status,
                o.reason,
                o.rows_read,
                o.rows_loaded,
                o.rows_rejected,
                "; ".join(warnings) or None,
                ", ".join(o.extra_columns) or None,
                datetime.fromtimestamp(f.mtime_ns / 1e9, UTC).replace(tzinfo=None),
                now,
                run_as_of,
                run_id,
            )
        )
    row_sql = "(" + ", ".join(["?"] * 16) + ")"
    for i in range(0, len(rows), 500):  # one INSERT per 500 rows: executemany runs one per row
        chunk = rows[i : i + 500]
        con.execute(
            "INSERT INTO raw.file_ledger VALUES " + ", ".join([row_sql] * len(chunk)), [v for r in chunk for v in r]
        )
