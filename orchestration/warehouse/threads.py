"""How many models the daily job's `dbt build` runs at once (dbt's --threads), by clinic size.

Two at a time lets one model's SQL run while dbt does the other's bookkeeping in Python
(compiling, materializing, events): most of a small clinic's build is that bookkeeping. But
each model's SQL already uses every DuckDB thread, and the models built side by side share
DuckDB's one memory cap (COLLECTIONS_DUCKDB_MEMORY_LIMIT, 2 GB by default). At a million
guarantors the scorecard's observations and the touch models then push each other's data to
disk, and one at a time is faster. Measured on the 2-core benchmark machine at the default cap
(docs/benchmarks.md, "One model at a time for a large clinic"): two at a time is faster up to
200,000 guarantors, one at a time at 1,000,000; the threshold sits between them.
COLLECTIONS_DBT_THREADS, when set, is used as it is.
"""

from __future__ import annotations

import duckdb

ONE_AT_A_TIME_FROM = 500_000  # guarantors in the warehouse (raw.guarantors)
SMALL_CLINIC_THREADS = 2


def dbt_threads(guarantors: int, override: str | None = None) -> int:
    """dbt's --threads for a clinic of `guarantors`; `override` (COLLECTIONS_DBT_THREADS) wins."""
    if override:
        try:
            threads = int(override)
        except ValueError:
            threads = 0
        if threads < 1:
            raise ValueError(f"COLLECTIONS_DBT_THREADS must be a whole number of at least 1, not {override!r}")
        return threads
    return 1 if guarantors >= ONE_AT_A_TIME_FROM else SMALL_CLINIC_THREADS


def raw_guarantors(con: duckdb.DuckDBPyConnection) -> int:
    """The guarantors the loaders have written (0 before the first load)."""
    try:
        return con.execute("SELECT count(*) FROM raw.guarantors").fetchone()[0]
    except duckdb.CatalogException:
        return 0
