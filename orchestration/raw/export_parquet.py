"""Hand the raw layer to another engine: every table the dbt sources read, as Parquet.

    python -m orchestration.raw.export_parquet --out var/raw_parquet
        [--warehouse var/warehouse.duckdb]

writes one folder per table, `<out>/<schema>/<table>/part-0.parquet`, for every table of the
`raw` schema (the loaders' tables, the effective policy and the run context) and of the `ops`
schema (the send ledger and the placement ledger: operational state that dbt reads as a
source and never rebuilds). A folder per table is what Spark, Databricks, Trino and Snowflake
external tables point at (`CREATE TABLE raw.x USING parquet LOCATION '<out>/raw/x'`); on
the dbt `spark` target, `dbt run-operation register_raw_parquet --args '{path: <out>}'`
registers them (docs/scaling.md).

Types are kept: DECIMAL(18,2) stays decimal, DATE stays date, TIMESTAMP (UTC, no zone) is
written as a Parquet timestamp without zone. The export reads the warehouse read-only, so it
must run while no daily job holds the DuckDB file. An existing folder of a table is replaced
whole; tables not in the warehouse are not touched.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.core.settings import Paths

SCHEMAS = ("raw", "ops")


@dataclass(frozen=True)
class Exported:
    schema: str
    table: str
    rows: int
    path: Path


def export_raw(warehouse: Path, out: Path, schemas: tuple[str, ...] = SCHEMAS) -> list[Exported]:
    """Write every table of `schemas` in the DuckDB `warehouse` under `out` as Parquet."""
    warehouse = Path(warehouse)
    if not warehouse.is_file():
        raise FileNotFoundError(f"no DuckDB warehouse at {warehouse} (run the loaders first)")
    out = Path(out).resolve()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN (SELECT unnest(?)) AND table_type = 'BASE TABLE' "
            "ORDER BY 1, 2",
            [list(schemas)],
        ).fetchall()
        if not tables:
            raise ValueError(f"{warehouse} has no table in schemas {', '.join(schemas)}")
        done = []
        for schema, table in tables:
            folder = out / schema / table
            tmp = folder.with_name(f".{table}.tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            target = tmp / "part-0.parquet"
            # path as a bound parameter is not allowed in COPY: quote it as a SQL literal
            literal = "'" + str(target).replace("'", "''") + "'"
            con.execute(f'COPY (SELECT * FROM "{schema}"."{table}") TO {literal} (FORMAT parquet, COMPRESSION zstd)')
            rows = con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]
            shutil.rmtree(folder, ignore_errors=True)
            tmp.rename(folder)
            done.append(Exported(schema, table, rows, folder))
        return done
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m orchestration.raw.export_parquet",
        description="Export the raw and ops tables of the DuckDB warehouse as Parquet, one "
        "folder per table (for Spark/Databricks/Trino external tables).",
    )
    ap.add_argument("--out", required=True, type=Path, help="folder to write <schema>/<table>/ into")
    ap.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        help="DuckDB file (default: COLLECTIONS_WAREHOUSE_PATH or ./var/warehouse.duckdb)",
    )
    args = ap.parse_args(argv)
    warehouse = args.warehouse or Paths.from_env().warehouse
    t0 = time.perf_counter()
    try:
        done = export_raw(warehouse, args.out)
    except (FileNotFoundError, ValueError, duckdb.IOException) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for e in done:
        print(f"{e.schema}.{e.table}: {e.rows} rows -> {e.path}")
    print(f"{len(done)} tables in {time.perf_counter() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
