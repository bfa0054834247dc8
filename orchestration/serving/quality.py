"""The week's data-quality results, for the huddle report and the outbox.

Every check of the daily job (the Great Expectations gates on the raw tables and on the touch
audience, and every dbt test) is recorded by Dagster as an asset-check evaluation in the run's
event log, on the instance in $DAGSTER_HOME. `week_quality` reads them back for the daily runs
of the 7 as-of dates ending on a given date, including runs that failed (a failed gate stops
its own run, so the next successful run reports it). `quality_csv` is the same list as a CSV
file for the outbox's `reports/` folder.

Only check names, table names, pass/fail, severity and counts are kept: Great Expectations
results carry counts only (orchestration/quality/great_expectations.py) and dbt results the
number of failing rows, never a row value.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import dagster as dg

from orchestration.serving.huddle import CheckLine, RunLine

PARTITION_TAG = "dagster/partition"


def _detail(metadata: dict) -> str:
    """A short count-only description of a failed or warned check."""

    def val(key):
        v = metadata.get(key)
        return getattr(v, "value", v)

    failed = val("failed")  # Great Expectations: list of failed expectations
    if isinstance(failed, list) and failed:
        parts = [
            f"{o.get('expectation')}{'(' + o['column'] + ')' if o.get('column') else ''}"
            f"{': ' + str(o['unexpected_count']) + ' rows' if o.get('unexpected_count') is not None else ''}"
            for o in failed
            if isinstance(o, dict)
        ]
        return "; ".join(parts)
    count = val("dagster_dbt/failed_row_count")
    if count is not None:
        return f"{count} failing row(s)"
    return ""


def week_quality(
    instance: dg.DagsterInstance, job_name: str, as_of: date, days: int = 7
) -> tuple[list[RunLine], list[CheckLine]]:
    """Runs of `job_name` for the `days` as-of dates ending on `as_of`, oldest first, and their
    check evaluations."""
    dates = [(as_of - timedelta(days=i)).isoformat() for i in range(days - 1, -1, -1)]
    runs = instance.get_runs(filters=dg.RunsFilter(job_name=job_name, tags={PARTITION_TAG: dates}))
    run_lines: list[RunLine] = []
    check_lines: list[CheckLine] = []
    for run in sorted(runs, key=lambda r: (r.tags.get(PARTITION_TAG, ""), r.run_id)):
        day = run.tags.get(PARTITION_TAG, "")
        checks = []
        for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
            ev = entry.dagster_event.event_specific_data
            checks.append(
                CheckLine(
                    as_of_date=day,
                    run_id=run.run_id,
                    asset=ev.asset_key.to_user_string(),
                    check=ev.check_name,
                    passed=bool(ev.passed),
                    severity=ev.severity.value,
                    detail="" if ev.passed else _detail(dict(ev.metadata or {})),
                )
            )
        run_lines.append(
            RunLine(
                as_of_date=day,
                run_id=run.run_id,
                status=run.status.value,
                checks=len(checks),
                failed=sum(not c.passed and c.severity == "ERROR" for c in checks),
                warned=sum(not c.passed and c.severity != "ERROR" for c in checks),
            )
        )
        check_lines += checks
    run_lines.sort(key=lambda r: (r.as_of_date, r.run_id))
    return run_lines, check_lines


CSV_COLUMNS = ("as_of_date", "run_id", "run_status", "asset", "check", "passed", "severity", "detail")


def quality_csv(runs: list[RunLine], checks: list[CheckLine]) -> str:
    """Every check evaluation of the week, one row each (a run without checks gets one row)."""
    status = {r.run_id: r.status for r in runs}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    with_checks = {c.run_id for c in checks}
    for r in runs:
        if r.run_id not in with_checks:
            w.writerow([r.as_of_date, r.run_id, r.status, "", "", "", "", ""])
    for c in checks:
        w.writerow(
            [
                c.as_of_date,
                c.run_id,
                status.get(c.run_id, ""),
                c.asset,
                c.check,
                "true" if c.passed else "false",
                c.severity,
                c.detail,
            ]
        )
    return buf.getvalue()
