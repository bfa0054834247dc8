"""`make run AS_OF=YYYY-MM-DD`: the whole daily job for one as-of date, then a short report.

    python -m orchestration.run --as-of 2026-11-20

Runs on the persistent Dagster instance in $DAGSTER_HOME (default ./var/dagster_home), so the
run shows in the UI (`make ui`). Exit code 0 on success, 1 when a step or a gate failed.
"""

from __future__ import annotations

import argparse
import fcntl
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb


class WarehouseBusy(SystemExit):
    pass


@contextmanager
def warehouse_lock(warehouse: Path, wait: bool):
    """One daily run at a time per warehouse: an exclusive lock on <warehouse>.lock, released
    by the OS even when the process is killed."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{warehouse}.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise WarehouseBusy(f"another daily job is running on {warehouse}; "
                                "try again when it ends, or pass --wait (make run WAIT=1)") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# The console shows warnings and errors; the full event log is in the Dagster UI.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _print_aging(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("SELECT aging_bucket, encounters, guarantors, dollars FROM marts.rpt_aging "
                           "ORDER BY bucket_order").fetchall()
    finally:
        con.close()
    print(f"\n  {'bucket':<8} {'encounters':>10} {'guarantors':>10} {'dollars':>14}")
    for b, e, g, d in rows:
        print(f"  {b:<8} {e:>10,} {g:>10,} {d:>14,.2f}")
    total = sum(r[3] for r in rows)
    print(f"  {'total':<8} {sum(r[1] for r in rows):>10,} {'':>10} {total:>14,.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--as-of", required=True, type=date.fromisoformat, help="as-of date, YYYY-MM-DD")
    parser.add_argument("--quiet", action="store_true", help="no aging table at the end")
    parser.add_argument("--wait", action="store_true", help="wait for a running daily job instead of refusing")
    args = parser.parse_args(argv)

    from orchestration.instance import ensure_dagster_home
    ensure_dagster_home()
    from orchestration.warehouse.project import ensure_manifest
    ensure_manifest()

    import dagster as dg
    from orchestration.definitions import defs
    from orchestration.settings import Paths

    paths = Paths.from_env()
    print(f"daily job for {args.as_of}: landing {paths.landing}, warehouse {paths.warehouse}", flush=True)
    job = defs.resolve_job_def("daily_job")
    with warehouse_lock(paths.warehouse, wait=args.wait), dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(partition_key=args.as_of.isoformat(), instance=instance,
                                        raise_on_error=False, run_config=QUIET_CONSOLE)
    failed = [e for e in result.all_events if e.event_type_value in ("STEP_FAILURE",)]
    failed_checks = [e.event_specific_data for e in result.all_events
                     if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.event_specific_data.passed]
    for c in failed_checks:
        print(f"  check failed: {c.asset_key.to_user_string()} {c.check_name} ({c.severity.value})")
    for e in failed:
        print(f"  step failed: {e.step_key}")
    if not result.success:
        print(f"FAILED: the daily job for {args.as_of} stopped; nothing downstream of a failed gate ran.")
        return 1
    print(f"OK: daily job for {args.as_of} finished (run {result.run_id[:8]}).")
    if not args.quiet:
        _print_aging(paths.warehouse)
    return 0


if __name__ == "__main__":
    sys.exit(main())
