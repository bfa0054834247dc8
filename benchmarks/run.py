"""`make bench`: every figure of issue 7 next to its target.

1. small clinic (default 5,000 guarantors): the whole daily job, a first run on a fresh
   warehouse, REPEATS times, each in its own process (median);
2. large clinic (default 1,000,000 guarantors): its generation (with progress); the first
   full daily run as of the day before the last day (the last day's files held back), wall and
   peak memory; then the next day's run on the same warehouse with only that day's new files.
   Both without the steps that render and hand off (statements, email, SMS, call list, card
   charges: `timed_run --without-handoff`), which the issue measures as throughputs (5.);
3. the floors (benchmarks/floor.py): DuckDB alone computing the aging from the same files, and
   the models floor, dbt's own compiled SQL of every model run in one DuckDB connection over
   the warehouse the job loaded (no dbt, no Dagster, no tests); each run's ratio to them;
4. the 835 parser against pyx12 on a sample of the small clinic's files (identical totals);
5. statement PDFs per second with both cores, and 10,000 emails to a local SendGrid stand-in;
6. on each clinic, a next day (the day before D with D's files held back, then D) whose
   warehouse is then built again incrementally and from scratch, every intermediate table and
   mart compared row for row (benchmarks/incremental_check.py); on the large clinic that is the
   next-day run of 2. (`--no-check-large` skips its ~2 extra builds there).

    python -m benchmarks.run [--small 5000] [--large 1000000 | --large 0] [--repeats 3]
                             [--large-repeats 1] [--no-check-large] [--out benchmarks/out]

Results: the table on stdout, benchmarks/out/results.json and benchmarks/out/summary.md
(copied into docs/benchmarks.md). Each daily run uses the persistent Dagster instance of its
clinic folder and the in-process executor, as `make run` does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

AS_OF = date(2026, 11, 20)
ROOT = Path(__file__).resolve().parents[1]


def _fresh(work: Path) -> None:
    for name in ("warehouse.duckdb", "warehouse.duckdb.wal", "warehouse.duckdb.paylink-secret"):
        (work / name).unlink(missing_ok=True)
    for d in ("outbox", "serving", "dagster_home", "var"):
        shutil.rmtree(work / d, ignore_errors=True)


def daily_run(work: Path, landing: Path, as_of: date, handoff: bool = True, samples: Path | None = None) -> dict:
    """One daily job in its own process on work/'s warehouse: wall, per-step seconds, peak MB
    (whole run and per step). handoff=False leaves out rendering and hand-off
    (benchmarks/timed_run.py --without-handoff); samples: write every memory sample there."""
    from orchestration.core.settings import folder_env

    env = {
        **os.environ,
        **folder_env(work),
        "COLLECTIONS_LANDING_DIR": str(landing),
        "DAGSTER_HOME": str(work / "dagster_home"),
    }
    (work / "dagster_home").mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.timed_run", "--as-of", as_of.isoformat()]
        + ([] if handoff else ["--without-handoff"])
        + ([] if samples is None else ["--samples", str(samples)]),
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"daily job failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    steps = json.loads(proc.stdout.strip().splitlines()[-1])
    return {
        "wall_s": wall,
        "peak_rss_mb": steps.pop("peak_rss_mb"),
        "peak_rss_job_mb": steps.pop("peak_rss_job_mb"),
        "peak_rss_child_mb": steps.pop("peak_rss_child_mb"),
        "step_peak_mb": steps.pop("step_peak_mb", {}),  # step -> [total, job, children] MB
        "steps": steps,
    }


def clinic(out: Path, n: int) -> tuple[Path, float | None]:
    """The generated landing folder of an n-guarantor clinic (made once) and its generation time."""
    from orchestration.sample.generator import generate

    landing = out / f"clinic_{n}" / "landing"
    if (landing / "pm").is_dir():
        return landing, None
    shutil.rmtree(landing.parent, ignore_errors=True)
    t0 = time.perf_counter()
    generate(
        landing, guarantors=n, seed=7, as_of=AS_OF, progress=lambda m: print(f"  generating {n:,}: {m}", flush=True)
    )
    return landing, time.perf_counter() - t0


def hold_back(landing: Path, run_landing: Path, day: date, include_day: bool) -> None:
    """run_landing mirrors landing without the files of `day` unless asked: hard links (a copy
    across file systems), since the loaders refuse a symbolic link out of the landing folder."""
    stamp = day.strftime("%Y%m%d")
    for p in landing.rglob("*"):
        if p.is_file() and (include_day or stamp not in p.name):
            link = run_landing / p.relative_to(landing)
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.exists():
                try:
                    os.link(p, link)
                except OSError:
                    shutil.copy2(p, link)


def _steps(r: dict) -> str:
    big = sorted(r["steps"].items(), key=lambda kv: -kv[1])[:4]
    return ", ".join(f"{k} {v:.1f} s" for k, v in big)


def top_peaks(r: dict, n: int = 3) -> str:
    """The n steps with the highest peak memory (process and children) of one daily run."""
    big = sorted(r.get("step_peak_mb", {}).items(), key=lambda kv: -kv[1][0])[:n]
    return ", ".join(f"{k} {v[0]:,.0f} MB" for k, v in big)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", type=int, default=5000)
    ap.add_argument("--large", type=int, default=1_000_000, help="0 skips the large clinic")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--large-repeats", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    ap.add_argument(
        "--no-check-large",
        dest="check_large",
        action="store_false",
        help="skip comparing the large clinic's next day with a full rebuild (two more dbt builds)",
    )
    args = ap.parse_args(argv)
    from benchmarks.floor import run_floor, run_models_floor
    from benchmarks.incremental_check import check as incremental_check
    from benchmarks.ingest_835 import compare_with_pyx12
    from benchmarks.outreach import bench_email, bench_pdfs
    from orchestration.warehouse.project import ensure_manifest

    ensure_manifest()
    load = os.getloadavg()[0]
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, "
        f"load average {load:.1f} at start"
    )
    print(f"machine: {machine}", flush=True)
    rows: list[tuple[str, str, str, bool | None]] = []  # figure, measured, target, met
    steps_log: dict[str, list[dict]] = {}  # every daily run: wall, peak, per-step seconds

    def row(figure: str, measured: str, target: str, met: bool | None) -> None:
        rows.append((figure, measured, target, met))
        print(
            f"  {figure}: {measured}  (target {target}) {'' if met is None else 'OK' if met else 'MISSED'}", flush=True
        )

    # 1. the small clinic
    landing, _ = clinic(args.out, args.small)
    work = args.out / f"clinic_{args.small}"
    runs = []
    for _ in range(args.repeats):
        _fresh(work)
        runs.append(daily_run(work, landing, AS_OF))
    steps_log["small"] = runs
    wall = statistics.median(r["wall_s"] for r in runs)
    row(
        f"{args.small:,}-guarantor clinic, whole daily job (median of {args.repeats})",
        f"{wall:.1f} s [{_steps(runs[len(runs) // 2])}]",
        "<= 20 s",
        wall <= 20,
    )
    models_floor = run_models_floor(work / "warehouse.duckdb", AS_OF, repeats=3)
    steps_log["small_models_floor"] = [models_floor]
    row(
        f"{args.small:,}: models floor, dbt's compiled SQL of {models_floor['models']} models alone (median of 3)",
        f"{models_floor['wall_s']:.1f} s",
        "-",
        None,
    )
    row(f"{args.small:,}: whole daily job / models floor", f"{wall / models_floor['wall_s']:.1f}x", "-", None)

    def compare_with_full_refresh(clinic_size: int, warehouse: Path) -> None:
        result = incremental_check(warehouse)
        steps_log.setdefault("incremental_checks", []).append({"guarantors": clinic_size, **result})
        row(
            f"{clinic_size:,}: the next day's marts and intermediate tables (incremental) vs a full rebuild",
            f"{result['tables']} tables ({len(result['kept_by_runs'])} kept by runs left out), "
            + ("all equal" if not result["differing"] else f"{len(result['differing'])} differ: {result['differing']}"),
            "all equal",
            not result["differing"],
        )

    _fresh(work)  # the small clinic's next day: D-1 with D's files held back, then D
    run_landing = work / "run_landing"
    shutil.rmtree(run_landing, ignore_errors=True)
    hold_back(landing, run_landing, AS_OF, include_day=False)
    daily_run(work, run_landing, AS_OF - timedelta(days=1))
    hold_back(landing, run_landing, AS_OF, include_day=True)
    small_next = daily_run(work, run_landing, AS_OF)
    steps_log["small_next"] = [small_next]
    row(
        f"{args.small:,}: next day's whole daily job", f"{small_next['wall_s']:.1f} s [{_steps(small_next)}]", "-", None
    )
    compare_with_full_refresh(args.small, work / "warehouse.duckdb")
    shutil.rmtree(run_landing, ignore_errors=True)

    # 2. + 3. the large clinic and the floor
    if args.large:
        landing, gen_s = clinic(args.out, args.large)
        if gen_s is not None:
            row(f"generating the {args.large:,}-guarantor clinic", f"{gen_s:.0f} s", "a few minutes", gen_s <= 300)
        work = args.out / f"clinic_{args.large}"
        day_before = AS_OF - timedelta(days=1)
        firsts, nexts = [], []
        for _ in range(args.large_repeats):
            _fresh(work)
            run_landing = work / "run_landing"
            shutil.rmtree(run_landing, ignore_errors=True)
            hold_back(landing, run_landing, AS_OF, include_day=False)
            firsts.append(daily_run(work, run_landing, day_before, handoff=False))
            if len(firsts) == 1:  # the models floor on the first run's warehouse
                models_floor = run_models_floor(work / "warehouse.duckdb", day_before)
            hold_back(landing, run_landing, AS_OF, include_day=True)
            nexts.append(daily_run(work, run_landing, AS_OF, handoff=False))
        first = statistics.median(r["wall_s"] for r in firsts)
        peak = max(r["peak_rss_mb"] for r in firsts)
        nxt = statistics.median(r["wall_s"] for r in nexts)
        steps_log["large_first"], steps_log["large_next"] = firsts, nexts
        row(
            f"{args.large:,} guarantors, first full daily run (rendering and hand-off apart)",
            f"{first:.1f} s [{_steps(firsts[0])}]",
            "<= 60 s",
            first <= 60,
        )
        top = max(firsts, key=lambda r: r["peak_rss_mb"])
        row(
            f"{args.large:,} guarantors, first run peak memory (the job process and its children at one time)",
            f"{peak:,.0f} MB [job process alone {top['peak_rss_job_mb']:,.0f} MB, children (dbt) "
            f"{top['peak_rss_child_mb']:,.0f} MB; steps: {top_peaks(top)}]",
            "<= 4,096 MB",
            peak <= 4096,
        )
        row(
            f"{args.large:,} guarantors, next day's run (one day of new files; rendering and hand-off apart)",
            f"{nxt:.1f} s [{_steps(nexts[0])}]",
            "<= 15 s",
            nxt <= 15,
        )
        steps_log["large_models_floor"] = [models_floor]
        row(
            f"{args.large:,}: models floor, dbt's compiled SQL of {models_floor['models']} models alone",
            f"{models_floor['wall_s']:.1f} s [{', '.join(f'{n} {t:.1f} s' for n, t in models_floor['slowest'][:4])}]",
            "-",
            None,
        )
        row(
            "first run / models floor",
            f"{first / models_floor['wall_s']:.1f}x",
            "<= 1.5x",
            first / models_floor["wall_s"] <= 1.5,
        )
        if args.check_large:  # the last next day's warehouse
            compare_with_full_refresh(args.large, work / "warehouse.duckdb")
        floor_s, _ = run_floor(run_landing, day_before, exclude_day=AS_OF)
        row("floor: DuckDB alone, aging from the same files", f"{floor_s:.1f} s", "-", None)
        row("first run / floor", f"{first / floor_s:.1f}x", "<= 5x", first / floor_s <= 5)

    # 4. the 835 parser against pyx12
    small_landing = args.out / f"clinic_{args.small}" / "landing"
    cmp = compare_with_pyx12(small_landing)
    row(
        f"835 parser vs pyx12 ({cmp['files']} files, totals {'identical' if not cmp['mismatches'] else 'DIFFER'})",
        f"{cmp['ratio']:.0f}x claims/s",
        ">= 100x",
        cmp["ratio"] >= 100 and not cmp["mismatches"],
    )

    # 5. rendering and sending
    pdf_s = bench_pdfs(1000, 2, "forkserver")
    row("statement PDFs, 2 workers", f"{1000 / pdf_s:.0f} PDFs/s", ">= 200 PDFs/s", 1000 / pdf_s >= 200)
    build, send, nreq = bench_email(10_000)
    row(
        f"10,000 emails to the local SendGrid stand-in ({nreq} requests)",
        f"{build + send:.1f} s",
        "<= 5 s",
        build + send <= 5,
    )

    machine += f", {os.getloadavg()[0]:.1f} at the end"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(
        json.dumps(
            {
                "machine": machine,
                "date": date.today().isoformat(),
                "figures": [dict(zip(("figure", "measured", "target", "met"), r, strict=True)) for r in rows],
                "runs": steps_log,
            },
            indent=2,
        )
    )
    table = ["| figure | measured | target | met |", "|---|---|---|---|"]
    table += [f"| {f} | {m} | {t} | {'-' if ok is None else 'yes' if ok else '**no**'} |" for f, m, t, ok in rows]
    (args.out / "summary.md").write_text(f"Machine: {machine}; {date.today()}.\n\n" + "\n".join(table) + "\n")
    print("\n" + "\n".join(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
