"""`make run AS_OF=YYYY-MM-DD`: the whole daily job for one as-of date, then a short report.

    python -m orchestration.run --as-of 2026-11-20

Runs on the persistent Dagster instance in $DAGSTER_HOME (default ./var/dagster_home), so the
run shows in the UI (`make ui`). Exit code 0 on success, 1 when a step or a gate failed,
2 when the date is refused (earlier than the last completed daily run: pass --backfill),
75 when another daily job holds the warehouse (without --wait). At the end it prints what
failed and what to do: each failed gate with the files and lines it names, and the landing
files this run did not load with their reasons.

Runs in order (orchestration/run_history.py): a date earlier than the last completed daily run
is refused before anything starts, unless `--backfill` (`make run AS_OF=… BACKFILL=1`): then it
runs as a backfill of that one date -- it loads only the files that had arrived by the end of
the date, records what would have been due without sending it, and leaves the serving files
alone (docs/operations.md, "Runs out of order").

One run at a time per warehouse: an exclusive ``flock`` on ``<warehouse>.lock``. The kernel
drops it when the holder dies, even by SIGKILL, so a killed run never leaves a stale lock; the
file names the holder (pid, start time) for the "busy" message. Once it holds the lock, a run
cleans up after a killed predecessor before it starts:

* Dagster runs this command started whose process is gone but that are still STARTED in the
  instance are reported failed ("process ... died"), so the UI does not show them running;
* temporary files of interrupted atomic writes (``.<name>.<random>.tmp``) in the outbox are
  removed (the final file was never renamed into place, so nothing names them);
* if a process left from a killed run (e.g. an orphaned ``dbt`` child) still holds the DuckDB
  file, the run waits for it (with a message) instead of failing on DuckDB's lock error.
The data itself needs no repair: the loaders, dbt and the send/placement ledgers are
re-runnable by design (docs/reliability-faults.md).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import sys
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb


class _Stop(SystemExit):
    """The command stops with a message and the class's exit code."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(self.exit_code)
        self.message = message

    def __str__(self) -> str:
        return self.message


class WarehouseBusy(_Stop):
    """Another daily job holds the warehouse (exit code 75, EX_TEMPFAIL)."""

    exit_code = 75


class RunRefused(_Stop):
    """The date is earlier than the last completed daily run and this is not a backfill."""

    exit_code = 2


CLI_TAG = "collections/cli_pid"
WAREHOUSE_TAG = "collections/warehouse"
TEMP_FILE = re.compile(r"^\..+\.[A-Za-z0-9_]+\.tmp$")  # files.atomic_write's temporary names


def _holder(lock_path: Path) -> str:
    try:
        text = lock_path.read_text().strip()
    except OSError:
        text = ""
    return f" ({text})" if text else ""


@contextmanager
def warehouse_lock(warehouse: Path, wait: bool, *, poll: float = 1.0, timeout: float | None = None):
    """One daily run at a time per warehouse: an exclusive lock on <warehouse>.lock, released
    by the OS even when the process is killed. ``wait``: block until it is free (printing who
    holds it), up to ``timeout`` seconds (None = forever); else refuse with WarehouseBusy."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    lock_path = Path(f"{warehouse}.lock")
    with open(lock_path, "a+") as fh:
        start = time.monotonic()
        told = False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                who = _holder(lock_path)
                if not wait:
                    raise WarehouseBusy(
                        f"another daily job is running on {warehouse}{who}; "
                        "try again when it ends, or pass --wait (make run WAIT=1)"
                    ) from None
                if timeout is not None and time.monotonic() - start >= timeout:
                    raise WarehouseBusy(
                        f"gave up after waiting {timeout:.0f}s for the daily job running on {warehouse}{who}"
                    ) from None
                if not told:
                    print(f"waiting: another daily job is running on {warehouse}{who}", flush=True)
                    told = True
                time.sleep(poll)
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n")
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fh.flush()
            fcntl.flock(fh, fcntl.LOCK_UN)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail_orphaned_runs(instance, warehouse: Path) -> list[str]:
    """Runs this command started on this warehouse that are still STARTED but whose process is
    gone (killed): reported failed. Only called while holding the warehouse lock."""
    import dagster as dg

    orphans = []
    runs = instance.get_runs(
        filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING], tags={WAREHOUSE_TAG: str(warehouse)}
        )
    )
    for run in runs:
        pid = run.tags.get(CLI_TAG)
        if pid and pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            instance.report_run_failed(
                run,
                message=f"the process running it (pid {pid}) died without finishing (killed?); a later run took over",
            )
            orphans.append(run.run_id)
    return orphans


def sweep_temp_files(outbox: Path) -> list[Path]:
    """Remove temporary files of atomic writes a killed run left in the outbox (never a final
    file: those are renamed into place whole)."""
    removed = []
    if outbox.is_dir():
        for p in outbox.rglob(".*.tmp"):
            if p.is_file() and TEMP_FILE.match(p.name):
                p.unlink()
                removed.append(p)
    return removed


def wait_for_warehouse_file(warehouse: Path, *, poll: float = 1.0, timeout: float = 600.0) -> None:
    """Wait while another process (e.g. a dbt child orphaned by a killed run) holds the DuckDB
    file; DuckDB would otherwise fail the first step with its lock error."""
    if not warehouse.exists():
        return
    start = time.monotonic()
    told = False
    while True:
        try:
            duckdb.connect(str(warehouse)).close()
            return
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() - start >= timeout:
                raise WarehouseBusy(
                    f"{warehouse} is still held by another process after {timeout:.0f}s: {exc}"
                ) from None
            if not told:
                print(
                    f"waiting: {warehouse} is held by another process (left from a killed run?): "
                    f"{str(exc).splitlines()[0][:200]}",
                    flush=True,
                )
                told = True
            time.sleep(poll)


# The console shows warnings and errors; the full event log is in the Dagster UI.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _print_aging(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "SELECT aging_bucket, encounters, guarantors, dollars FROM marts.rpt_aging ORDER BY bucket_order"
        ).fetchall()
    finally:
        con.close()
    print(f"\n  {'bucket':<8} {'encounters':>10} {'guarantors':>10} {'dollars':>14}")
    for b, e, g, d in rows:
        print(f"  {b:<8} {e:>10,} {g:>10,} {d:>14,.2f}")
    total = sum(r[3] for r in rows)
    print(f"  {'total':<8} {sum(r[1] for r in rows):>10,} {'':>10} {total:>14,.2f}")


def refuse_out_of_order(warehouse: Path, as_of: date) -> None:
    """RunRefused when a daily run for `as_of` would come after a later completed one."""
    from orchestration.run_history import last_completed, out_of_order

    if not warehouse.exists():
        return
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        why = out_of_order(as_of, last_completed(con))
    finally:
        con.close()
    if why:
        raise RunRefused(why)


SCHEDULED = "scheduled"


def scheduled_clock(as_of: date, policy_path: Path) -> str | None:
    """The instant the daily schedule starts the run of `as_of` (06:00 clinic time), for a
    rehearsal of that day on past data (`make demo`, the benchmarks): the sample clinic's files
    arrived the evening before D, so a run started today would find them stale and hold every
    touch. None when the policy cannot be read: the run then fails at its first step, naming it."""
    from orchestration.core.clock import nominal_start
    from orchestration.policy.policy import load_policy

    try:
        clinic_tz = load_policy(policy_path).clinic_tz
    except Exception:  # reported by the run itself (docs/operations.md)
        return None
    return nominal_start(as_of, clinic_tz).isoformat()


def _run_locked(as_of: date, paths, backfill: bool = False, clock: str | None = None):
    from orchestration.core.instance import ensure_dagster_home

    ensure_dagster_home()
    from orchestration.warehouse.project import ensure_manifest

    ensure_manifest()

    import dagster as dg

    from orchestration.definitions import defs

    job = defs.resolve_job_def("daily_job")
    with dg.DagsterInstance.get() as instance:
        for run_id in fail_orphaned_runs(instance, paths.warehouse):
            print(f"  run {run_id[:8]} was killed before it finished: marked failed; this run redoes the date")
        removed = sweep_temp_files(paths.outbox)
        if removed:
            print(f"  removed {len(removed)} temporary file(s) of interrupted writes from {paths.outbox}")
        wait_for_warehouse_file(paths.warehouse)
        if not backfill:
            refuse_out_of_order(paths.warehouse, as_of)
        from orchestration.run_history import BACKFILL_TAG

        tags = {CLI_TAG: str(os.getpid()), WAREHOUSE_TAG: str(paths.warehouse)}
        if backfill:
            tags[BACKFILL_TAG] = "cli"
        if clock:
            from orchestration.core.clock import CLOCK_TAG

            tags[CLOCK_TAG] = clock
        return job.execute_in_process(
            partition_key=as_of.isoformat(),
            instance=instance,
            raise_on_error=False,
            run_config=QUIET_CONSOLE,
            tags=tags,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--as-of", required=True, type=date.fromisoformat, help="as-of date, YYYY-MM-DD")
    parser.add_argument("--quiet", action="store_true", help="no aging table at the end")
    parser.add_argument("--wait", action="store_true", help="wait for a running daily job instead of refusing")
    parser.add_argument(
        "--backfill",
        action="store_true",
        help="run this date as a backfill: files arrived by its end, nothing sent, serving untouched",
    )
    parser.add_argument(
        "--clock",
        metavar="INSTANT",
        help="rehearsal: take the run to have started at this ISO 8601 instant "
        "(with offset, e.g. 2026-11-20T06:00:00-06:00), or `scheduled`: at the daily schedule's "
        "start on the as-of date (06:00 clinic time); the freshness and contact-window rules use "
        "that clock (orchestration/core/clock.py)",
    )
    args = parser.parse_args(argv)
    if args.clock and args.clock != SCHEDULED:
        from orchestration.core.clock import parse_instant

        try:
            parse_instant(args.clock)
        except ValueError as exc:
            parser.error(f"--clock: {exc}")

    from orchestration.core.settings import Paths

    paths = Paths.from_env()
    if args.clock == SCHEDULED:
        args.clock = scheduled_clock(args.as_of, paths.policy)
    print(f"daily job for {args.as_of}: landing {paths.landing}, warehouse {paths.warehouse}", flush=True)
    try:
        # the lock first: a second run refuses (or waits) before importing anything heavy, and
        # the dbt manifest is rebuilt by one process at a time
        with warehouse_lock(paths.warehouse, wait=args.wait):
            result = _run_locked(args.as_of, paths, backfill=args.backfill, clock=args.clock)
    except WarehouseBusy as busy:
        print(f"BUSY: {busy}", file=sys.stderr, flush=True)
        return busy.code
    except RunRefused as refused:
        print(f"REFUSED: {refused}", file=sys.stderr, flush=True)
        return refused.code
    for line in summary_lines(result):
        print(line)
    if not result.success:
        print(f"FAILED: the daily job for {args.as_of} stopped; nothing downstream of a failed gate ran.")
        return 1
    print(f"OK: daily job for {args.as_of} finished (run {result.run_id[:8]}).")
    if not args.quiet:
        _print_aging(paths.warehouse)
    return 0


def summary_lines(result) -> list[str]:
    """What a person needs from a run's events: every failed check with the files and lines it
    names and what to do, every failed step with its reason, and the landing files this run did
    not load (quarantined, rejected, refused, waiting) with theirs."""
    out: list[str] = []
    seen: set[str] = set()
    for e in result.all_events:
        data = e.event_specific_data
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and not data.passed:
            out.append(f"  check failed: {data.asset_key.to_user_string()} {data.check_name} ({data.severity.value})")
            text = data.description or ""
            if text and text not in seen:  # a check on several assets says it once
                seen.add(text)
                out += [f"      {part.strip()}" for part in text.splitlines() if part.strip()]
        elif e.event_type_value == "STEP_FAILURE":
            out.append(f"  step failed: {e.step_key}")
            why = getattr(getattr(data, "user_failure_data", None), "description", None)
            if why:
                out.append(f"      {why}")
        elif e.event_type_value == "ASSET_MATERIALIZATION":
            meta = data.materialization.metadata
            if data.materialization.asset_key.to_user_string() == "raw/file_ledger" and "files_not_loaded" in meta:
                files = meta["files_not_loaded"].value
                out.append(f"  landing files not loaded by this run ({len(files)}; raw.file_ledger has them all):")
                out += [f"      {line}" for line in files[:50]]
                if len(files) > 50:
                    out.append(f"      … and {len(files) - 50} more")
    return out


if __name__ == "__main__":
    sys.exit(main())
