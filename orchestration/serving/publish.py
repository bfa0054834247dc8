"""Publish what BI tools and staff tools read, away from the live warehouse.

DuckDB lets no other process open a file while a writer holds it, so readers never open the
warehouse. After each successful run the chosen marts are copied into fresh DuckDB files (and
Parquet copies of the analytics tables), built under temporary names in the serving folder
and swapped in with an atomic rename: a reader that has the old file open keeps a consistent
snapshot, a new reader gets the new one, nobody sees a half-written table.

The serving folder never moves backwards: `published.json` names the as-of date and run of what
is published, and a run for an earlier date (a backfill of a past date) leaves the files as
they are (`published_as_of`; docs/operations.md, "Runs out of order").
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from orchestration.actions.files import fsync_path
from orchestration.core.settings import duckdb_memory_limit


@dataclass(frozen=True)
class ServingFile:
    name: str  # file name in the serving folder, e.g. analytics.duckdb
    tables: tuple[str, ...]  # marts copied as they are (same names)
    parquet: bool = False  # also write <name stem>/<table>.parquet
    private: bool = True  # mode 0600 from its creation on; False only for a file
    # with no personal data (BI tools running as another user)
    schema: str = "main"  # the schema the tables are copied into (the warehouse's own
    # "marts" keeps a copy's relation names those of the warehouse)
    extra: Callable[[duckdb.DuckDBPyConnection], object] | None = None  # adds more to the file
    # before it is swapped in (orchestration/serving/semantic.py)


MARKER = "published.json"


def published_as_of(serving_dir: Path) -> date | None:
    """The as-of date of what the serving folder holds (None: nothing published yet, or a
    folder from before the marker existed)."""
    try:
        return date.fromisoformat(json.loads((serving_dir / MARKER).read_text())["as_of_date"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_marker(serving_dir: Path, as_of: date, run_id: str) -> None:
    """Record what was just published (atomically: a temporary file renamed over the old one)."""
    tmp = serving_dir / f".{MARKER}.tmp"
    tmp.write_text(
        json.dumps(
            {
                "as_of_date": as_of.isoformat(),
                "run_id": run_id,
                "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
        + "\n"
    )
    os.replace(tmp, serving_dir / MARKER)


def publish(
    warehouse: Path, serving_dir: Path, files: tuple[ServingFile, ...], schema: str = "marts"
) -> dict[str, dict[str, int]]:
    """Copy each file's tables out of the warehouse and swap the files in atomically.

    Returns {file name: {table: rows}}. The warehouse is attached read-only.
    """
    serving_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, dict[str, int]] = {}
    for f in files:
        tmp = serving_dir / f".{f.name}.tmp"
        tmp.unlink(missing_ok=True)
        # the warehouse writers' memory cap (orchestration/core/settings.py): DuckDB's default is
        # 80 % of RAM (a copy of the 1M clinic's scorecard observations peaks at ~2 GB either way)
        con = duckdb.connect(str(tmp), config={"memory_limit": duckdb_memory_limit()})
        if f.private:
            os.chmod(tmp, 0o600)  # before any row is written
        counts[f.name] = {}
        try:
            con.execute(f"ATTACH '{warehouse}' AS wh (READ_ONLY)")
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {f.schema}")
            for table in f.tables:
                con.execute(f"CREATE TABLE {f.schema}.{table} AS SELECT * FROM wh.{schema}.{table}")
                counts[f.name][table] = con.execute(f"SELECT count(*) FROM {f.schema}.{table}").fetchone()[0]
            if f.extra is not None:
                f.extra(con)
            if f.parquet:
                _publish_parquet(con, serving_dir / Path(f.name).stem, f.tables, f.schema)
            con.execute("DETACH wh")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, serving_dir / f.name)
    fsync_path(serving_dir)
    return counts


def _publish_parquet(
    con: duckdb.DuckDBPyConnection, folder: Path, tables: tuple[str, ...], schema: str = "main"
) -> None:
    """Parquet copies written to a fresh folder `.<name>-<n>`; `<name>` is a symbolic link to
    the current one, replaced in one rename, so a reader resolving `<name>/x.parquet` finds the
    whole old set or the whole new set, never a missing or half-written file. Older folders are
    removed after the swap (a reader with a file open keeps reading it)."""
    parent = folder.parent
    versions = sorted(
        int(p.name.rsplit("-", 1)[1]) for p in parent.glob(f".{folder.name}-*") if p.name.rsplit("-", 1)[1].isdigit()
    )
    target = parent / f".{folder.name}-{(versions[-1] + 1) if versions else 1}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for table in tables:
        con.execute(f"COPY {schema}.{table} TO '{target / (table + '.parquet')}' (FORMAT parquet)")
    link_tmp = parent / f".{folder.name}.link.tmp"
    link_tmp.unlink(missing_ok=True)
    link_tmp.symlink_to(target.name)
    if folder.is_dir() and not folder.is_symlink():  # a plain folder from an older release
        shutil.rmtree(folder)
    os.replace(link_tmp, folder)
    for old in parent.glob(f".{folder.name}-*"):
        if old.name != target.name and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
