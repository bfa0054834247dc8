"""`dbt build` alone, nodes and CPU seconds: another version of the dbt project (before) against
this one's first and second daily build (after: the second leaves the static nodes out,
orchestration/warehouse/static_nodes.py), on copies of a loaded warehouse.

    git archive main dbt_project | tar -x -C /tmp/before
    python -m benchmarks.dbt_nodes --warehouse W.duckdb --before /tmp/before/dbt_project [--pairs 3]

Each pair: a fresh copy of the warehouse, the before project's `dbt build`; a fresh copy, this
project's build (everything), the job's record of the static nodes, this project's build again
(what the daily job runs from the second day). Every build in its own process, with the daily
job's flags (orchestration/warehouse/project.py DBT_FLAGS); one unmeasured build of each project
first (dbt's partial parse). Prints per build the nodes (dbt's `Done.` line), CPU seconds of the
dbt process and wall seconds; the warehouse given is only read (copied).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path


def _dbt(project: Path, warehouse: Path, target: Path, extra: list[str]) -> dict:
    from benchmarks.dbt_cli import run_dbt
    from orchestration.warehouse.project import DBT_FLAGS, dbt_args

    r0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    # not quiet: the nodes are read from dbt's `Done.` line
    p = run_dbt([*DBT_FLAGS, *dbt_args("build", target, *extra, project=project, quiet=False)], warehouse, project)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = [line.split("Done.")[-1].strip() for line in p.stdout.splitlines() if "Done. PASS" in line]
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return {"cpu_s": round(cpu, 2), "wall_s": round(time.perf_counter() - t0, 2), "nodes": done[-1] if done else "?"}


def _record(warehouse: Path) -> list[str]:
    import duckdb

    from orchestration.warehouse.project import MANIFEST, ensure_manifest
    from orchestration.warehouse.static_nodes import build_args, plan_static_build, record_static_build, static_nodes_of

    ensure_manifest()
    static = static_nodes_of(MANIFEST)
    con = duckdb.connect(str(warehouse))
    try:
        record_static_build(con, static, "benchmark")
        skip, _ = plan_static_build(con, static, subset=False)
    finally:
        con.close()
    assert skip, "the static nodes were not left out after the record"
    return build_args(static, skip)[1:]


def main(argv: list[str] | None = None) -> None:
    from orchestration.core.settings import DBT_PROJECT_DIR

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--warehouse", type=Path, required=True, help="a loaded warehouse (copied, never modified)")
    ap.add_argument("--before", type=Path, required=True, help="the other version's dbt_project folder")
    ap.add_argument("--pairs", type=int, default=3)
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="dbt-nodes-"))
    wh = work / "warehouse.duckdb"
    projects = {"before": args.before.resolve(), "after": DBT_PROJECT_DIR}

    def build(which: str, extra: tuple[str, ...] | list[str] = ()) -> dict:
        return _dbt(projects[which], wh, work / f"target_{which}", list(extra))

    try:
        for which in projects:  # partial parse of each project
            shutil.copyfile(args.warehouse, wh)
            build(which)
        for _ in range(args.pairs):
            shutil.copyfile(args.warehouse, wh)
            before = build("before")
            shutil.copyfile(args.warehouse, wh)
            first = build("after")
            second = build("after", _record(wh))
            print(json.dumps({"before": before, "after_first": first, "after_second": second}), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
