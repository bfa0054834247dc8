"""X12 835 ingest benchmark: our reader and ERA loader, and pyx12 on a sample of the same files.

    python -m benchmarks.ingest_835 [--landing DIR | --guarantors 200000] [--repeats 3]
                                     [--pyx12-files 24] [--pyx12-budget 45]
                                     [--only parse|load|pyx12 ...]

* parse: ``x12.parse_835_rows`` (what the loader uses) over every era file, in this
  process (wall, median of the repeats), claims/s;
* load: ``era_loader.load_era_files`` into a fresh DuckDB file (parse + insert, in one
  transaction, as ``ingest`` does; the COMMIT is timed apart), median of the repeats; the
  loaded claim count and sum of CLP05 must equal the parse's;
* pyx12 4.0 (``X12ContextReader.iter_segments``, one 2100 loop node per claim, CLP05 read
  from it) over an evenly spaced sample of the files whose transactions all load, stopping
  after ``--pyx12-budget`` seconds; our reader runs on each sample file right after pyx12
  (median of the repeats), so that both see the same load on a shared machine; claim counts
  and sum of CLP05 must be identical file by file; prints the claims/s of each and the ratio.

Without --landing, a clinic of --guarantors guarantors is generated once (seed 7) under
benchmarks/out/clinic_<n>/landing and reused.
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
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 11, 20)


def _landing(args: argparse.Namespace) -> Path:
    if args.landing is not None:
        root = args.landing
        return root.parent if root.name == "era" else root
    from orchestration.sample.generator import generate

    landing = args.out / f"clinic_{args.guarantors}" / "landing"
    if not (landing / "era").is_dir():
        t0 = time.perf_counter()
        generate(landing, guarantors=args.guarantors, seed=7, as_of=AS_OF)
        print(f"generated {args.guarantors:,} guarantors in {time.perf_counter() - t0:.1f} s")
    return landing


def _ours(datas: list[bytes]) -> list[tuple[int, Decimal, bool]]:
    """Per file: (claims loaded, sum of CLP05, every transaction loaded) -- untimed."""
    from orchestration.raw import x12

    out = []
    for data in datas:
        try:
            rows, _, txs = x12.parse_835_rows(data)
        except x12.X12QuarantineError:
            out.append((0, Decimal(0), False))
            continue
        k = x12.COLUMNS["claims"].index("patient_responsibility")
        resp = [r[k] for r in rows["claims"]]
        out.append(
            (len(resp), sum(map(Decimal, resp), Decimal(0)), bool(txs) and all(t["status"] == "loaded" for t in txs))
        )
    return out


def _time_parse(datas: list[bytes], repeats: int) -> float:
    from orchestration.raw import x12

    walls = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for data in datas:
            try:  # noqa: SIM105 - the timed loop: try/except costs nothing in 3.11, a context manager does
                x12.parse_835_rows(data)
            except x12.X12QuarantineError:
                pass
        walls.append(time.perf_counter() - t0)
    return statistics.median(walls)


def _time_load(files: list, repeats: int, work: Path) -> tuple[float, float, tuple]:
    import duckdb

    from orchestration.raw.era_loader import load_era_files
    from orchestration.raw.schema import ensure_schema

    loads, commits, totals = [], [], None
    for _ in range(repeats):
        db = work / "bench.duckdb"
        for p in (db, Path(str(db) + ".wal")):
            p.unlink(missing_ok=True)
        con = duckdb.connect(str(db))
        ensure_schema(con)
        con.execute("BEGIN TRANSACTION")
        t0 = time.perf_counter()
        load_era_files(con, files)
        t1 = time.perf_counter()
        con.execute("COMMIT")
        commits.append(time.perf_counter() - t1)
        loads.append(t1 - t0)
        totals = con.execute(
            "SELECT count(*), coalesce(sum(patient_responsibility), 0) FROM raw.remittance_claims"
        ).fetchone()
        con.close()
    return statistics.median(loads), statistics.median(commits), totals


def _pyx12(paths: list[Path], budget: float, ours_repeats: int) -> list[tuple]:
    """pyx12, then our reader, on each file in turn until pyx12 has spent the budget.

    Returns (file, pyx12 claims, pyx12 sum CLP05, pyx12 seconds, our seconds) per file; our
    time is the median of ``ours_repeats`` runs taken right after pyx12's, so that both see
    the same load on a shared machine.
    """
    import pyx12.error_handler
    import pyx12.params
    import pyx12.x12context

    from orchestration.raw import x12

    def read(path: Path) -> tuple[int, Decimal]:
        param = pyx12.params.params()
        errh = pyx12.error_handler.errh_null()
        n, total = 0, Decimal(0)
        with open(path, encoding="latin-1") as fd:
            src = pyx12.x12context.X12ContextReader(param, errh, fd)
            for node in src.iter_segments("2100"):
                if node.id == "2100":  # header segments come through one by one
                    n += 1
                    v = node.get_value("CLP05")
                    total += Decimal(v) if v else Decimal(0)
        return n, total

    read(min(paths, key=lambda p: p.stat().st_size))  # warm up: imports, map files
    done, spent = [], 0.0
    for path in paths:
        if spent > budget:
            break
        t0 = time.perf_counter()
        n, total = read(path)
        pyx_s = time.perf_counter() - t0
        spent += pyx_s
        data = path.read_bytes()
        ours = []
        for _ in range(ours_repeats):
            t0 = time.perf_counter()
            x12.parse_835_rows(data)
            ours.append(time.perf_counter() - t0)
        done.append((path, n, total, pyx_s, statistics.median(ours)))
    return done


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--landing", type=Path, help="a landing folder (or its era/ folder)")
    ap.add_argument("--guarantors", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--pyx12-files", type=int, default=24, help="size of pyx12's sample")
    ap.add_argument("--pyx12-budget", type=float, default=45.0, help="seconds for pyx12")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    ap.add_argument(
        "--only",
        choices=["parse", "load", "pyx12"],
        action="append",
        help="run only these parts (repeatable); default: all",
    )
    args = ap.parse_args(argv)

    from orchestration.raw import files as landing_files

    landing = _landing(args)
    files = landing_files.list_landing(landing, "era")
    if not files:
        print(f"no era files under {landing}")
        return 1
    for f in files:
        f.sha256 = landing_files.sha256_of(f.path)
    datas = [f.path.read_bytes() for f in files]
    mb = sum(map(len, datas)) / 1e6
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}; {len(files)} era files, {mb:.1f} MB"
    )

    parts = set(args.only or ["parse", "load", "pyx12"])
    per_file = _ours(datas)
    claims = sum(n for n, _, _ in per_file)
    clp05 = sum((s for _, s, _ in per_file), Decimal(0))
    ok, mismatches = True, []
    if "parse" in parts:
        _report_parse(datas, per_file, args.repeats, mb)
    if "load" in parts:
        ok = _report_load(files, claims, clp05, args.repeats)
    if "pyx12" in parts:
        mismatches = _report_pyx12(files, datas, per_file, args)
    return 0 if ok and not mismatches else 1


def _report_parse(datas, per_file, repeats, mb) -> None:
    claims = sum(n for n, _, _ in per_file)
    clp05 = sum((s for _, s, _ in per_file), Decimal(0))
    parse_s = _time_parse(datas, repeats)
    print(
        f"parse  (parse_835_rows, 1 process): {parse_s:6.2f} s  {claims:,} claims  "
        f"{claims / parse_s:,.0f} claims/s  {mb / parse_s:.1f} MB/s  sum CLP05 {clp05}"
        f"  (median of {repeats})",
        flush=True,
    )


def _report_load(files, claims, clp05, repeats) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        load_s, commit_s, (n_db, clp05_db) = _time_load(files, repeats, Path(tmp))
    print(
        f"load   (load_era_files, parse + insert): {load_s:6.2f} s  "
        f"{claims / load_s:,.0f} claims/s  (COMMIT {commit_s:.2f} s; median of {repeats})"
    )
    ok = n_db == claims and clp05_db == clp05
    print(
        f"       DuckDB raw.remittance_claims: {n_db:,} rows, sum CLP05 {clp05_db}"
        f"  {'= parse' if ok else '!= parse: MISMATCH'}",
        flush=True,
    )
    return ok


def _report_pyx12(files, datas, per_file, args) -> list:
    """pyx12 on an evenly spaced sample of fully loading files, and ours on the same files."""
    return pyx12_ratio(files, datas, per_file, args)["mismatches"]


def pyx12_ratio(files, datas, per_file, args) -> dict:
    """Prints the comparison; returns the ratio of claims/s and the files that differ."""
    clean = [i for i, (_, _, all_loaded) in enumerate(per_file) if all_loaded]
    k = max(1, min(args.pyx12_files, len(clean)))
    sample = [clean[j * len(clean) // k] for j in range(k)]
    done = _pyx12([files[i].path for i in sample], args.pyx12_budget, max(args.repeats, 5))
    sample = sample[: len(done)]
    pyx_claims = sum(d[1] for d in done)
    pyx_s = sum(d[3] for d in done)
    ours_s = sum(d[4] for d in done)
    mismatches = [
        (d[0].name, d[1], d[2], per_file[i][:2])
        for i, d in zip(sample, done, strict=False)
        if (d[1], d[2]) != per_file[i][:2]
    ]
    ours_claims = sum(per_file[i][0] for i in sample)
    ours_rate, pyx_rate = ours_claims / ours_s, pyx_claims / pyx_s
    print(
        f"pyx12 4.0 on {len(done)} files ({sum(len(datas[i]) for i in sample) / 1e6:.1f} MB): "
        f"{pyx_claims:,} claims, sum CLP05 {sum((d[2] for d in done), Decimal(0))}, "
        f"{pyx_s:.1f} s, {pyx_rate:,.0f} claims/s"
    )
    print(
        f"ours (parse_835_rows, 1 process) on the same files, each right after pyx12: "
        f"{ours_claims:,} claims, sum CLP05 {sum((per_file[i][1] for i in sample), Decimal(0))}, "
        f"{ours_s:.3f} s, {ours_rate:,.0f} claims/s"
    )
    if mismatches:
        print(f"MISMATCH with pyx12 (file, pyx12 claims, sum, ours): {mismatches}")
    print(
        f"ratio: {ours_rate / pyx_rate:,.0f}x pyx12's claims/s"
        f"  (claim counts and sum CLP05 {'identical' if not mismatches else 'DIFFER'})"
    )
    return {"ratio": ours_rate / pyx_rate, "mismatches": mismatches, "files": len(done)}


def compare_with_pyx12(landing: Path, sample_files: int = 24, budget: float = 45.0) -> dict:
    """Our parser against pyx12 on a sample of the landing's era files (see the module doc)."""
    from orchestration.raw import files as landing_files

    files = landing_files.list_landing(landing, "era")
    datas = [f.path.read_bytes() for f in files]
    args = argparse.Namespace(pyx12_files=sample_files, pyx12_budget=budget, repeats=3)
    return pyx12_ratio(files, datas, _ours(datas), args)


if __name__ == "__main__":
    sys.exit(main())
