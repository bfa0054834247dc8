"""Blocking quality gates on the raw layer: the Great Expectations suite of each raw table,
run on the rows this run loaded and on the files whose earlier failure is still open
(orchestration/quality/gate_memory.py: a failed file stays failed until a corrected file
arrives or a person releases it). GE validates pandas frames queried from DuckDB; full-table
rules are dbt tests (docs/architecture.md)."""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.core.settings import EXPECTATIONS_DIR
from orchestration.quality import gate_memory

# raw table -> column holding the SHA-256 of the file each row came from
CHECKED_TABLES = {
    "guarantors": "_file_sha256",
    "encounters": "_file_sha256",
    "patient_transactions": "_file_sha256",
    "payment_plans": "_file_sha256",
    "disputes": "_file_sha256",
    "hardship": "_file_sha256",
    "contact_log": "_file_sha256",
    "agency_activity": "_file_sha256",
    "remittance_claims": "file_sha256",
    "sendgrid_events": "_file_sha256",
}


def expectations_dir() -> Path:
    return Path(os.environ.get("COLLECTIONS_EXPECTATIONS_DIR", EXPECTATIONS_DIR))


def raw_table_checks() -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            f"ge_raw_{t}",
            asset=["raw", t],
            blocking=True,
            description=f"Great Expectations suite raw_{t} on the rows this run loaded.",
        )
        for t in CHECKED_TABLES
    ]


def run_raw_table_check(con: duckdb.DuckDBPyConnection, spec: dg.AssetCheckSpec, run_id: str) -> dg.AssetCheckResult:
    """The suite of one raw table on the rows of the files this run loaded and of the files
    whose earlier failure is still open (gate_memory); a failure names the files and lines and
    is remembered, a file that passes again is closed."""
    from orchestration.quality import great_expectations as gx_gate

    table = spec.asset_key.path[-1]
    sha_col, pos_col, _, _ = gate_memory.locator(table)
    suite_name = f"raw_{table}"
    suite = gx_gate.read_suite(suite_name, expectations_dir())
    scope_files = gate_memory.scope(con, spec.name, run_id)
    # only the columns the suite reads (a first load can be millions of rows); a column the
    # suite names but the table lacks stays missing and fails its expectation (schema drift)
    referenced = gx_gate.suite_reads(suite_name, expectations_dir())
    present = [
        c
        for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = ? "
            "ORDER BY ordinal_position",
            [table],
        ).fetchall()
        if c in referenced
    ]
    # the file of a row is its SHA-256 (the suites read that column anyway; the file names
    # come from scope_files): no second copy of a string per row (docs/benchmarks.md, memory)
    select = ", ".join(
        [f'"{c}"' for c in present] + ([] if sha_col in present else [sha_col]) + [f"{pos_col} AS _gate_pos"]
    )
    df = fetch_frame(
        con,
        f"SELECT {select} FROM raw.{table} WHERE {sha_col} IN (SELECT unnest(?::VARCHAR[]))",
        [[sha for sha, _ in scope_files]],
    )
    result = gx_gate.validate_dataframe(df[present], suite_name, suites_dir=expectations_dir())
    failed = [] if result.success else gate_memory.attribute(df, suite, result, scope_files, table)
    del df
    gate_memory.record(con, spec.name, table, run_id, failed, scope_files)
    severity = dg.AssetCheckSeverity.ERROR if not result.success else dg.AssetCheckSeverity.WARN
    metadata = result.as_metadata()
    description = None
    if failed:
        metadata["failed_files"] = [f"{ff.file_name}: {ff.detail}" for ff in failed]
        metadata["to_fix"] = gate_memory.fix_text(failed, table)
        description = "\n".join(metadata["failed_files"] + [metadata["to_fix"]])
    metadata["files_checked"] = len(scope_files)
    return dg.AssetCheckResult(
        asset_key=spec.asset_key,
        check_name=spec.name,
        passed=result.success and not result.warnings,  # a warning shows, only critical blocks
        severity=severity,
        metadata=metadata,
        description=description,
    )


def fetch_frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None, vectors: int = 100):
    """A query's rows as one pandas frame, converted a few hundred thousand rows at a time: the
    same frame as `.df()` (same dtypes), without `.df()`'s transient of every string of the
    result as a Python object at once (about 4x the frame at 1M guarantors)."""
    import pandas as pd

    result = con.execute(sql, params or [])
    parts = []
    while len(part := result.fetch_df_chunk(vectors)):
        parts.append(part)
    if len(parts) <= 1:
        return parts[0] if parts else part  # no rows: the empty chunk has the columns
    frame = pd.concat(parts, ignore_index=True)
    del parts
    return frame


def release_freed_memory() -> None:
    """Give back to the system what freed frames leave in pyarrow's allocator pool (pandas'
    strings are Arrow arrays): mimalloc keeps it otherwise, and the job process would carry
    it into the dbt step (docs/benchmarks.md)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


class RawChecksAlongside:
    """The raw suites on a second thread while the loaders go on: a table's suite starts as soon
    as its kind's files are committed (`table_loaded`), so Great Expectations (Python) runs while
    DuckDB (C++, outside the GIL) loads the next kind. Only reads: its own cursor sees what the
    loaders committed. `results()` waits for every suite and returns the check results in
    `raw_table_checks()` order; an error on the thread is raised there."""

    def __init__(self, con: duckdb.DuckDBPyConnection, run_id: str):
        self._cursor = con.cursor()
        self._run_id = run_id
        self._specs = {s.asset_key.path[-1]: s for s in raw_table_checks()}
        self._done: dict[str, dg.AssetCheckResult] = {}
        self._error: BaseException | None = None
        self._abandoned = False
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="raw-gates", daemon=True)
        self._thread.start()

    def table_loaded(self, table: str) -> None:
        if table in self._specs:
            self._queue.put(table)

    def _work(self) -> None:
        while (table := self._queue.get()) is not None:
            if self._error is None and not self._abandoned and table not in self._done:
                try:
                    self._done[table] = run_raw_table_check(self._cursor, self._specs[table], self._run_id)
                except BaseException as exc:  # raised again by results()
                    self._error = exc
                release_freed_memory()

    def abandon(self) -> None:
        """The load failed: skip the suites not started yet and let the thread end."""
        self._abandoned = True
        self._queue.put(None)
        self._thread.join()
        self._cursor.close()

    def results(self) -> list[dg.AssetCheckResult]:
        for table in self._specs:  # a table no kind reported is checked now
            self._queue.put(table)
        self._queue.put(None)
        self._thread.join()
        self._cursor.close()
        if self._error is not None:
            raise self._error
        return [self._done[t] for t in self._specs]


def validate_table(warehouse: Path, table: str, suite: str):
    """Run a suite on a whole (small) warehouse table, e.g. today's touch audience."""
    from orchestration.quality import great_expectations as gx_gate

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        df = fetch_frame(con, f"SELECT * FROM {table}")
    finally:
        con.close()
    try:
        return gx_gate.validate_dataframe(df, suite, suites_dir=expectations_dir())
    finally:
        del df
        release_freed_memory()
