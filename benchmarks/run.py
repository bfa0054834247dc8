"""`make bench`: the daily job on generated clinics of several sizes.

For each size: generate the clinic once, then run the whole daily job REPEATS times on a fresh
warehouse, each in its own process; report per-stage wall time (ingest, dbt) from the Dagster
step events, total wall time and peak RSS of the largest process (median of the repeats).

    python -m benchmarks.run [--sizes 5000,50000] [--repeats 3] [--out benchmarks/out]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

AS_OF = date(2026, 11, 20)
ROOT = Path(__file__).resolve().parents[1]


def _one_run(work: Path, landing: Path, executor: str) -> dict:
    wh = work / "warehouse.duckdb"
    for p in (wh, Path(str(wh) + ".wal"), Path(str(wh) + ".paylink-secret")):
        p.unlink(missing_ok=True)
    for d in ("outbox", "serving", "dagster_home"):      # every repeat is a first run
        shutil.rmtree(work / d, ignore_errors=True)
    env = {**os.environ, "COLLECTIONS_LANDING_DIR": str(landing), "COLLECTIONS_WAREHOUSE_PATH": str(wh),
           "COLLECTIONS_OUTBOX_DIR": str(work / "outbox"), "COLLECTIONS_SERVING_DIR": str(work / "serving"),
           "DAGSTER_HOME": str(work / "dagster_home")}
    (work / "dagster_home").mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "benchmarks.timed_run", "--as-of", AS_OF.isoformat(),
                           "--executor", executor], env=env, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"daily job failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    stages = json.loads(proc.stdout.strip().splitlines()[-1])
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"wall_s": wall, "peak_rss_mb": peak_mb, **stages}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="5000,50000")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    ap.add_argument("--executors", default="in_process", help="comma list: in_process,multiprocess")
    args = ap.parse_args(argv)
    from orchestration.sample.generator import generate

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}")
    results = []
    for n in [int(s) for s in args.sizes.split(",")]:
        work = args.out / f"clinic_{n}"
        landing = work / "landing"
        if not (landing / "pm").is_dir():
            shutil.rmtree(work, ignore_errors=True)
            t0 = time.perf_counter()
            generate(landing, guarantors=n, seed=7, as_of=AS_OF)
            print(f"generated {n:,} guarantors in {time.perf_counter() - t0:.1f} s", flush=True)
        for executor in args.executors.split(","):
            runs = [_one_run(work, landing, executor) for _ in range(args.repeats)]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            results.append({"guarantors": n, "executor": executor, **med})
            stages = "  ".join(f"{k} {v:.1f} s" for k, v in med.items() if k not in ("wall_s", "peak_rss_mb"))
            print(f"{n:>9,} guarantors  {executor:<12} total {med['wall_s']:6.1f} s  "
                  f"peak {med['peak_rss_mb']:7.0f} MB  (median of {args.repeats})\n    {stages}", flush=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
