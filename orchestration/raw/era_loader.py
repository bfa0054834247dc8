"""Load 835 remittance files into the raw.remittance_* tables (docs/landing.md, "835 remittances").

Parsing is `orchestration.raw.x12` (pure); this module only moves its rows into DuckDB
and turns its verdicts into ledger outcomes: quarantine a file that cannot be read, hold an
unbalanced transaction (its row stays in raw.remittance_transactions with the reason, none
of its claims load), and record warnings. The caller commits the rows together with the
ledger rows.

Speed: files are read with `x12.parse_835_rows` (tuples, not a dict per row) and a
chunk of files becomes one Arrow table per raw table, built where the chunk was parsed. A
large batch (> PARALLEL_MIN_BYTES) is parsed by a pool of worker processes (forkserver), chunk by
chunk in file order; the parent only inserts what comes back (row order = file order, as
when parsing in-process). Workers hand their tables over as Arrow IPC files in a private
folder of /dev/shm that the parent memory-maps (falling back to the pool's pipe); the folder
of a load whose process was killed is removed by the next load. Money
crosses as exact decimal text and is turned into DECIMAL(18,2) / DECIMAL(18,4) by DuckDB's
CAST (which rounds a value with more decimals; never a float); the file stamp columns are
looked up from per-chunk lists by the row's file number, loaded_at is a query parameter.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.raw import sniff, x12
from orchestration.raw.files import FileOutcome, LandingFile, utcnow
from orchestration.raw.schema import ERA_TABLES

PARTS = {  # raw table -> Remittance attribute / x12.COLUMNS table
    "remittance_transactions": "transactions",
    "remittance_claims": "claims",
    "remittance_adjustments": "adjustments",
    "remittance_service_lines": "service_lines",
    "remittance_provider_adjustments": "provider_adjustments",
}

PARALLEL_MIN_BYTES = 2_000_000  # smaller batches are parsed in-process
WORKERS = 2
CHUNKS_PER_WORKER = 8  # chunks per worker, so that the last one is short
MAX_CHUNK_BYTES = 16_000_000  # bounds a worker's memory on very large batches
SPILL_ROOT = "/dev/shm" if os.path.isdir("/dev/shm") else None  # workers' Arrow files


def parse_file(f: LandingFile) -> tuple[FileOutcome, x12.Remittance | None]:
    """One file as a `Remittance` (rows as dicts) and its outcome (not used by the batch load)."""
    data = f.path.read_bytes()
    container = sniff.binary_format(data[: sniff.HEAD_BYTES], encodings=False)
    if container:  # an archive or a document: never parsed, even if an ISA shows through
        return _outcome(f, ("quarantined", sniff.reason(container, "era"))), None
    try:
        rem = x12.parse_835(data)
    except x12.X12QuarantineError as exc:
        return _outcome(f, ("quarantined", quarantine_reason(data, exc))), None
    return _outcome(f, _verdict(rem.warnings, rem.transactions, len(rem.claims))), rem


def quarantine_reason(data: bytes, exc: x12.X12QuarantineError) -> str:
    """The parser's reason, or -- when the file is another format the contract does not take
    (gzip, zip, lower-case segment ids, JSON…) -- what it looks like and what is expected."""
    looks = sniff.era_format(data[: sniff.HEAD_BYTES]) if data.strip() else None
    return sniff.reason(looks, "era") if looks else str(exc)


def _verdict(warnings: list[str], transactions: list[dict], claims_loaded: int) -> tuple:
    held = [t for t in transactions if t["status"] == "held"]
    warnings = list(warnings) + [f"transaction {t['st_control_number']} held: {t['hold_reason']}" for t in held]
    return (
        "loaded",
        None,
        warnings,
        sum(t["claim_count"] for t in transactions),
        claims_loaded,
        sum(t["claim_count"] for t in held),
    )


def _outcome(f: LandingFile, verdict: tuple) -> FileOutcome:
    out = FileOutcome(f)
    out.status, out.reason = verdict[0], verdict[1]
    if len(verdict) > 2:
        out.warnings, out.rows_read, out.rows_loaded, out.rows_rejected = verdict[2:]
    return out


def load_era_files(con: duckdb.DuckDBPyConnection, files: list[LandingFile]) -> list[FileOutcome]:
    """Parse every file and insert all their rows; returns one outcome per file, in order."""
    now = utcnow()
    outcomes: list[FileOutcome] = []
    workers = _workers(sum(f.size for f in files))
    chunks = _chunks(files, workers)
    jobs = [[str(f.path) for f in chunk] for chunk in chunks]
    pool = spill = None
    try:
        if len(jobs) > 1:
            spill = _spill_dir()
            # forkserver, not fork: the caller (Dagster, DuckDB) has threads, and a forked child
            # can inherit a lock held by one of them and hang
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["orchestration.raw.x12", "pyarrow"])
            pool = ctx.Pool(workers)
            results = pool.imap(functools.partial(_parse_chunk, spill=spill), jobs)
        else:
            results = map(_parse_chunk, jobs)
        for chunk, (verdicts, tables) in zip(chunks, results, strict=True):
            outcomes += [_outcome(f, v) for f, v in zip(chunk, verdicts, strict=True)]
            loaded = [f for f, v in zip(chunk, verdicts, strict=True) if v[0] != "quarantined"]
            stamps = {"file_sha256": [f.sha256 for f in loaded], "file_name": [f.name for f in loaded]}
            for table, data in tables.items():
                _insert(con, table, _unspill(data), stamps, now)
    finally:
        if pool is not None:
            pool.terminate()  # all results are in (or the load failed): stop the workers
            pool.join()
        if spill is not None:
            shutil.rmtree(spill, ignore_errors=True)
    return outcomes


def _spill_dir() -> str | None:
    """A private folder in shared memory for the workers' Arrow files (None: pickle them)."""
    if SPILL_ROOT is None or not os.path.isdir(SPILL_ROOT):
        return None
    _remove_stale_spills()
    try:
        return tempfile.mkdtemp(prefix=f"era_load_{os.getpid()}_", dir=SPILL_ROOT)
    except OSError:
        return None


def _remove_stale_spills() -> None:
    """Remove the folders of loads whose process is gone (killed mid-load: no cleanup ran)."""
    for path in Path(SPILL_ROOT).glob("era_load_*_*"):
        try:
            pid = int(path.name.split("_")[2])
        except (IndexError, ValueError):
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:  # alive, someone else's
            pass


def _spill_tables(tables: dict[str, pa.Table], spill: str) -> dict[str, str]:
    """Write each table as an Arrow IPC file in ``spill``; returns their paths."""
    out = {}
    for table, data in tables.items():
        fd, path = tempfile.mkstemp(suffix=".arrow", dir=spill)
        os.close(fd)
        out[table] = path
        with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, data.schema) as writer:
            writer.write_table(data)
    return out


def _unspill(data: pa.Table | str) -> pa.Table:
    """A table, or the path of a spilled one: memory-mapped (no copy), the file unlinked."""
    if isinstance(data, pa.Table):
        return data
    try:
        return pa.ipc.open_file(pa.memory_map(data, "r")).read_all()
    finally:
        os.unlink(data)  # the mapping keeps the data until the table is released


def _workers(total_bytes: int) -> int:
    if total_bytes <= PARALLEL_MIN_BYTES or WORKERS < 2:
        return 1
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if multiprocessing.current_process().daemon:  # e.g. inside a pool worker: no children
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(WORKERS, cpus))


def _chunks(files: list[LandingFile], workers: int) -> list[list[LandingFile]]:
    """Consecutive runs of files of about equal size (one run when parsed in-process)."""
    if workers == 1 or len(files) < 2:
        return [files] if files else []
    total = sum(f.size for f in files)
    target = min(MAX_CHUNK_BYTES, max(1, total // (workers * CHUNKS_PER_WORKER)))
    chunks: list[list[LandingFile]] = [[]]
    size = 0
    for f in files:
        if chunks[-1] and size + f.size > target:
            chunks.append([])
            size = 0
        chunks[-1].append(f)
        size += f.size
    return chunks


def _parse_chunk(paths: list[str], spill: str | None = None) -> tuple[list[tuple], dict[str, pa.Table | str]]:
    """Parse files: their verdicts and one Arrow table per raw table.

    The tables have the parser's columns of ERA_TABLES plus ``_file``, the position of the row's
    file among the chunk's files that were not quarantined. With ``spill`` (in a worker), the
    tables are written there and their paths returned (cheaper than pickling them through the
    pool's pipe); if that fails (no room), they are returned as they are.
    """
    gc_was_enabled = gc.isenabled()
    gc.disable()  # only acyclic lists and tuples are built here
    try:
        verdicts: list[tuple] = []
        builder = _TableBuilder()
        for path in paths:
            with open(path, "rb") as fh:
                data = fh.read()
            container = sniff.binary_format(data[: sniff.HEAD_BYTES], encodings=False)
            if container:  # an archive or a document: never parsed, even if an ISA shows through
                verdicts.append(("quarantined", sniff.reason(container, "era")))
                continue
            try:
                rows, warnings, transactions = x12.parse_835_rows(data)
            except x12.X12QuarantineError as exc:
                verdicts.append(("quarantined", quarantine_reason(data, exc)))
                continue
            verdicts.append(_verdict(warnings, transactions, len(rows["claims"])))
            builder.add(rows)
        tables = builder.tables()
        if spill is not None:
            try:
                return verdicts, _spill_tables(tables, spill)
            except OSError:
                pass
        return verdicts, tables
    finally:
        if gc_was_enabled:
            gc.enable()


_ARROW = {"VARCHAR": pa.string(), "INTEGER": pa.int32(), "DATE": pa.date32()}
FLUSH_ROWS = 3_000  # rows gathered before they become Arrow arrays (~ 1-2 files)


class _TableBuilder:
    """Row tuples of many files -> one Arrow table per raw table.

    Rows are converted as Arrow struct arrays (in C, no transposition in Python) whose fields
    are the columns, every FLUSH_ROWS rows, while their objects are still in the CPU cache
    (converting millions of cold objects at the end costs ~2x more); the pieces are
    concatenated at the end. Money (DECIMAL columns) goes as its exact text: DuckDB's CAST
    makes the decimal. Columns of ERA_TABLES that the parser does not give are left out.
    """

    def __init__(self) -> None:
        self.files = 0
        self.struct: dict[str, pa.StructType] = {}
        self.keep: dict[str, list[str]] = {}
        for table, part in PARTS.items():
            sql = dict(ERA_TABLES[table])
            self.struct[table] = pa.struct(
                [
                    (c, pa.string() if c not in sql or sql[c].startswith("DECIMAL") else _ARROW[sql[c]])
                    for c in x12.COLUMNS[part]
                ]
            )
            self.keep[table] = [c for c in x12.COLUMNS[part] if c in sql]
        self.rows: dict[str, list[tuple]] = {t: [] for t in PARTS}
        self.file_no: dict[str, list[int]] = {t: [] for t in PARTS}
        self.pieces: dict[str, list[tuple[pa.StructArray, pa.Array]]] = {t: [] for t in PARTS}
        self.pending = 0

    def add(self, rows: dict[str, list[tuple]]) -> None:
        k = self.files
        self.files += 1
        for table, part in PARTS.items():
            r = rows[part]
            if r:
                self.rows[table] += r
                self.file_no[table] += [k] * len(r)
                self.pending += len(r)
        if self.pending >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        for table, rows in self.rows.items():
            if rows:
                self.pieces[table].append(
                    (pa.array(rows, type=self.struct[table]), pa.array(self.file_no[table], type=pa.int32()))
                )
                self.rows[table] = []
                self.file_no[table] = []
        self.pending = 0

    def tables(self) -> dict[str, pa.Table]:
        self.flush()
        out = {}
        for table, pieces in self.pieces.items():
            if not pieces:
                continue
            rows = pa.concat_arrays([p for p, _ in pieces])
            data = {c: rows.field(c) for c in self.keep[table]}
            data["_file"] = pa.concat_arrays([f for _, f in pieces])
            out[table] = pa.table(data)
        return out


def _insert(
    con: duckdb.DuckDBPyConnection, table: str, data: pa.Table, stamps: dict[str, list[str]], loaded_at
) -> None:
    """INSERT the rows, casting each column to its type; the file stamp columns are looked up
    from the chunk's lists by ``_file`` (row order kept), loaded_at is one value."""
    if not data.num_rows:
        return
    present = set(data.column_names)
    select, params = [], []
    for c, t in ERA_TABLES[table]:
        if c in stamps:
            params.append(stamps[c])
            select.append(f"(${len(params)}::VARCHAR[])[_file + 1]")
        elif c == "loaded_at":
            params.append(loaded_at)
            select.append(f"CAST(${len(params)} AS {t})")
        elif c in present:
            select.append(f"CAST({c} AS {t})")
        else:
            select.append(f"CAST(NULL AS {t})")
    con.register("_era_rows", data)
    try:
        con.execute(f"INSERT INTO raw.{table} SELECT {', '.join(select)} FROM _era_rows", params)
    finally:
        con.unregister("_era_rows")
