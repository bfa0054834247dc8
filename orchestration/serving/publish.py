"""Publish what BI tools and staff tools read, away from the live warehouse.

DuckDB lets no other process open a file while a writer holds it, so readers never open the
warehouse. After each successful run the chosen marts are copied into fresh DuckDB files (and
Parquet copies of the analytics tables), built under temporary names in the serving folder
and swapped in with an atomic rename: a reader that has the old file open keeps a consistent
snapshot, a new reader gets the new one, nobody sees a half-written table.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class ServingFile:
    name: str                     # file name in the serving folder, e.g. analytics.duckdb
    tables: tuple[str, ...]       # marts copied as they are (same names)
    parquet: bool = False         # also write <name stem>/<table>.parquet
    private: bool = True          # mode 0600 from its creation on; False only for a file
                                  # with no personal data (BI tools running as another user)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(warehouse: Path, serving_dir: Path, files: tuple[ServingFile, ...],
            schema: str = "marts") -> dict[str, dict[str, int]]:
    """Copy each file's tables out of the warehouse and swap the files in atomically.

    Returns {file name: {table: rows}}. The warehouse is attached read-only.
    """
    serving_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, dict[str, int]] = {}
    for f in files:
        tmp = serving_dir / f".{f.name}.tmp"
        tmp.unlink(missing_ok=True)
        con = duckdb.connect(str(tmp))
        if f.private:
            os.chmod(tmp, 0o600)      # before any row is written
        counts[f.name] = {}
        try:
            con.execute(f"ATTACH '{warehouse}' AS wh (READ_ONLY)")
            for table in f.tables:
                con.execute(f"CREATE TABLE main.{table} AS SELECT * FROM wh.{schema}.{table}")
                counts[f.name][table] = con.execute(f"SELECT count(*) FROM main.{table}").fetchone()[0]
            if f.parquet:
                _publish_parquet(con, serving_dir / Path(f.name).stem, f.tables)
            con.execute("DETACH wh")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, serving_dir / f.name)
    _fsync_dir(serving_dir)
    return counts


def _publish_parquet(con: duckdb.DuckDBPyConnection, folder: Path, tables: tuple[str, ...]) -> None:
    """Parquet copies written to a scratch folder, then each file swapped in by an atomic
    rename: a reader opening <folder>/<table>.parquet at any moment finds a whole file (a
    folder swap would leave a moment with no folder at all)."""
    tmp = folder.with_name(f".{folder.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for table in tables:
        con.execute(f"COPY main.{table} TO '{tmp / (table + '.parquet')}' (FORMAT parquet)")
    folder.mkdir(parents=True, exist_ok=True)
    for table in tables:
        os.replace(tmp / f"{table}.parquet", folder / f"{table}.parquet")
    wanted = {f"{t}.parquet" for t in tables}
    for stale in folder.glob("*.parquet"):
        if stale.name not in wanted:
            stale.unlink()
    shutil.rmtree(tmp, ignore_errors=True)
