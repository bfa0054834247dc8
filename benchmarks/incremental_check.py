"""An incremental day against a full rebuild, on a benchmark clinic's warehouse.

After the daily job's next-day run (issue 17: history models built incrementally, keyed by what
the day's files touched), two copies of its warehouse are built again for the same run (its
as-of date and start come from raw.run_context, as the job's build reads them): one by `dbt
run` (the history models keep the rows the day's incremental build made: nothing was loaded
since) and one from scratch by `dbt run --full-refresh`. Both copies see the same raw tables —
the job's own warehouse does not serve as one side, because its later steps (the send and
placement ledgers, refunds) wrote rows that the models read after its build. Every table of
the intermediate and marts schemas is compared row for row: EXCEPT ALL both ways, the build
marks (`history_*` columns: when a row was computed) left out. Zero differences in every table
= the incremental day equals a full rebuild. Models marked `meta: {kept_by_runs: true}` are the
record of what the runs saw (int_guarantor_phone_history): a rebuild from scratch cannot give
them again by design (docs/rules.md, "Wrong number"), so they are named and left out.

    python -m benchmarks.incremental_check --warehouse FILE [--work DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

SCHEMAS = ("intermediate", "marts")


def rebuilt_copy(warehouse: Path, work: Path, full_refresh: bool) -> Path:
    """A copy of `warehouse` in `work` (same file name: the database name in dbt's SQL) with
    every model built again by `dbt run [--full-refresh]` for the run in raw.run_context."""
    from benchmarks.dbt_cli import run_dbt
    from orchestration.warehouse.project import dbt_args

    work.mkdir(parents=True)
    copy = work / warehouse.name
    shutil.copyfile(warehouse, copy)
    run_dbt(dbt_args("run", work / "target", *(["--full-refresh"] if full_refresh else [])), copy)
    return copy


def kept_by_runs() -> set[str]:
    """schema.table of the models that record what the runs saw (meta kept_by_runs)."""
    import json

    from orchestration.warehouse.project import MANIFEST, ensure_manifest

    ensure_manifest()
    nodes = json.loads(MANIFEST.read_text())["nodes"].values()
    return {
        f"{n['schema']}.{n['alias']}"
        for n in nodes
        if n["resource_type"] == "model" and (n["config"].get("meta") or {}).get("kept_by_runs")
    }


def differences(
    incremental: Path, fresh: Path, schemas: tuple[str, ...] = SCHEMAS, skip: frozenset[str] = frozenset()
) -> dict[str, int]:
    """Rows in one warehouse and not the other (EXCEPT ALL both ways, when the tables' row
    count and sum of row hashes differ), per table of `schemas` in either but `skip`; a table
    missing on one side counts as -1. The `history_*` columns are left out."""
    import duckdb

    from orchestration.core.settings import duckdb_memory_limit

    con = duckdb.connect(config={"memory_limit": duckdb_memory_limit()})
    try:
        con.execute(f"ATTACH '{incremental}' AS inc (READ_ONLY)")
        con.execute(f"ATTACH '{fresh}' AS fre (READ_ONLY)")
        marks = ", ".join("?" * len(schemas))
        columns: dict[tuple[str, str], dict[str, list[str]]] = {}
        for db in ("inc", "fre"):
            for schema, table, column in con.execute(
                "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
                f"WHERE database_name = ? AND schema_name IN ({marks}) ORDER BY column_index",
                [db, *schemas],
            ).fetchall():
                columns.setdefault((schema, table), {}).setdefault(db, []).append(column)
        out = {}
        for (schema, table), sides in sorted(columns.items()):
            name = f"{schema}.{table}"
            if name in skip:
                continue
            if set(sides) != {"inc", "fre"}:
                out[name] = -1
                continue
            cols = ", ".join(f'"{c}"' for c in sides["inc"] if not c.startswith("history_"))
            a = f"SELECT {cols} FROM inc.{schema}.{table}"
            b = f"SELECT {cols} FROM fre.{schema}.{table}"
            # the rows' count and sum of row hashes, a multiset fingerprint, first: one scan of
            # each side; EXCEPT ALL (a sort or hash of both sides) counts the rows only when they
            # differ (at 1M guarantors: minutes for the 22M scorecard observations)
            fingerprint = f"SELECT count(*), sum(hash({cols})::HUGEINT) FROM "
            if (
                con.execute(fingerprint + f"inc.{schema}.{table}").fetchone()
                == con.execute(fingerprint + f"fre.{schema}.{table}").fetchone()
            ):
                out[name] = 0
                continue
            out[name] = con.execute(
                f"SELECT (SELECT count(*) FROM ({a} EXCEPT ALL {b})) + (SELECT count(*) FROM ({b} EXCEPT ALL {a}))"
            ).fetchone()[0]
        return out
    finally:
        con.close()


def check(warehouse: Path, work: Path | None = None) -> dict:
    """Build two copies (incremental, from scratch) and compare them:
    {"tables", "differing": {table: rows}, "incremental_s", "full_refresh_s", "compare_s"}."""
    tmp = Path(tempfile.mkdtemp(prefix="incremental-check-", dir=work or warehouse.parent))
    try:
        t0 = time.perf_counter()
        incremental = rebuilt_copy(warehouse, tmp / "incremental", full_refresh=False)
        t1 = time.perf_counter()
        fresh = rebuilt_copy(warehouse, tmp / "full_refresh", full_refresh=True)
        t2 = time.perf_counter()
        skip = kept_by_runs()
        diffs = differences(incremental, fresh, skip=frozenset(skip))
        return {
            "tables": len(diffs),
            "kept_by_runs": sorted(skip),
            "differing": {t: n for t, n in diffs.items() if n},
            "incremental_s": round(t1 - t0, 1),
            "full_refresh_s": round(t2 - t1, 1),
            "compare_s": round(time.perf_counter() - t2, 1),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--warehouse", type=Path, required=True)
    ap.add_argument("--work", type=Path, help="where the two copies go (default: beside the warehouse)")
    args = ap.parse_args(argv)
    result = check(args.warehouse, args.work)
    print(
        f"{result['tables']} tables compared (dbt run {result['incremental_s']} s, --full-refresh "
        f"{result['full_refresh_s']} s, compare {result['compare_s']} s; left out, kept by runs: "
        f"{', '.join(result['kept_by_runs']) or 'none'}): "
        + ("all equal" if not result["differing"] else f"DIFFER: {result['differing']}")
    )
    return 0 if not result["differing"] else 1


if __name__ == "__main__":
    sys.exit(main())
