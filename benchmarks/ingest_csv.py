"""CSV loader benchmark: the landing CSVs alone, kind by kind, into a fresh DuckDB file.

    python -m benchmarks.ingest_csv --landing DIR [--repeats 3] [--as-of 2026-11-20]
                                    [--kinds guarantors encounters ...] [--check]

Each repeat starts from a new warehouse file (same memory limit as the job) and runs
``ingest_kind`` for every CSV kind in the ingest's order (guarantors, encounters, the others:
references are checked against what is loaded), timing each kind: its files are hashed,
loaded (history, then the delta: the second file of a kind takes the upsert path) and
committed with their ledger rows, as the daily job's ingest does. No GE suites (the job runs
them on a second thread) and no 835s or events (``benchmarks/ingest_835.py``).

Prints per kind the rows read, rejected and stored, and the median wall and CPU seconds (the
process's, DuckDB's threads included: the steadier figure on a shared machine) of the repeats; the
stored rows' content hash (``--check``) lets two versions of the loaders be compared.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def _run_once(landing: Path, work: Path, kinds: list[str], as_of: date, check: bool) -> dict[str, dict]:
    import duckdb

    from orchestration.core.settings import duckdb_memory_limit
    from orchestration.policy.policy import load_policy
    from orchestration.raw import files
    from orchestration.raw.checked_casts import CastContext
    from orchestration.raw.ingest import ingest_kind, write_policy
    from orchestration.raw.schema import ensure_schema

    db = work / "bench.duckdb"
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    con = duckdb.connect(str(db), config={"memory_limit": duckdb_memory_limit()})
    policy = load_policy()
    ensure_schema(con)
    write_policy(con, policy)
    ctx = CastContext.for_run(policy.clinic_tz, as_of, files.utcnow(), policy["landing.updated_at_future_minutes"])
    out: dict[str, dict] = {}
    for kind in kinds:
        t0, c0 = time.perf_counter(), time.process_time()
        outcomes = ingest_kind(con, landing, kind, ctx=ctx, as_of=as_of, run_id="bench")
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        stored = con.execute(f"SELECT count(*) FROM raw.{kind}").fetchone()[0]
        digest = None
        if check:
            cols = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' "
                    "AND table_name = ? AND column_name NOT IN ('_loaded_at') ORDER BY ordinal_position",
                    [kind],
                ).fetchall()
            ]
            digest = con.execute(
                f"SELECT sum(hash({', '.join(cols)})) :: HUGEINT % 1000000007 FROM raw.{kind}"
            ).fetchone()[0]
            digest = (
                digest,
                con.execute(
                    "SELECT count(*), sum(hash(file_name, line_number, column_name, reason, value)) "
                    ":: HUGEINT % 1000000007 FROM raw.load_rejects WHERE table_name = ?",
                    [kind],
                ).fetchone(),
            )
        out[kind] = {
            "wall": wall,
            "cpu": cpu,
            "files": len(outcomes),
            "statuses": sorted({o.status for o in outcomes}),
            "rows_read": sum(o.rows_read for o in outcomes),
            "rows_rejected": sum(o.rows_rejected for o in outcomes),
            "stored": stored,
            "digest": digest,
        }
    con.close()
    return out


def main(argv: list[str] | None = None) -> int:
    from orchestration.landing.contract import CSV_TABLES

    all_kinds = [s.name for s in CSV_TABLES]
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--landing", type=Path, required=True)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 20))
    ap.add_argument("--kinds", nargs="+", choices=all_kinds, default=all_kinds)
    ap.add_argument("--check", action="store_true", help="print a content hash of each raw table and its rejects")
    args = ap.parse_args(argv)
    kinds = [k for k in all_kinds if k in args.kinds]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, load {os.getloadavg()[0]:.1f}; landing {args.landing}",
        flush=True,
    )
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            runs.append(_run_once(args.landing, Path(tmp), kinds, args.as_of, args.check))
            print(
                f"run {i + 1}: "
                + ", ".join(f"{k} {r['wall']:.2f} s" for k, r in runs[-1].items())
                + f"; total {sum(r['wall'] for r in runs[-1].values()):.2f} s",
                flush=True,
            )
    print(f"{'kind':22} {'files':>5} {'rows read':>10} {'rejected':>8} {'stored':>10}  wall s  (runs)  CPU s")
    for k in kinds:
        r = runs[-1][k]
        walls = [run[k]["wall"] for run in runs]
        print(
            f"{k:22} {r['files']:5} {r['rows_read']:10,} {r['rows_rejected']:8,} {r['stored']:10,}  "
            f"{statistics.median(walls):6.2f}  ({', '.join(f'{w:.2f}' for w in walls)})  "
            f"{statistics.median(run[k]['cpu'] for run in runs):5.2f}"
            + (f"  {','.join(r['statuses'])}" if r["statuses"] != ["loaded"] else "")
            + (f"  digest {r['digest']}" if r["digest"] is not None else "")
        )
    totals = [sum(r["wall"] for r in run.values()) for run in runs]
    cpus = [sum(r["cpu"] for r in run.values()) for run in runs]
    print(
        f"{'total':22} {'':5} {'':10} {'':8} {'':10}  {statistics.median(totals):6.2f}  "
        f"({', '.join(f'{w:.2f}' for w in totals)})  {statistics.median(cpus):5.2f}  (medians of {len(runs)}; "
        f"load {os.getloadavg()[0]:.1f} at the end)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
