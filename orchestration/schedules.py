"""When the daily job runs: every morning in the clinic's time zone, and when new files land.

The sensor's cursor is the set of landing file names it has already seen, so a file seen once
never triggers twice; a run it starts is for today's as-of date in the clinic's time zone. A
file counts as seen only once it has settled (unchanged for the policy's
`landing.settle_seconds`, docs/landing.md): an upload in progress does not start a run that
would then have to leave it waiting.
Only one run at a time touches the warehouse (dagster.yaml: run queue of one, pools of one).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from orchestration.core.clock import SCHEDULE_HOUR
from orchestration.core.partitions import CLINIC_TZ
from orchestration.core.settings import Paths
from orchestration.policy.policy import load_policy
from orchestration.raw.files import KINDS, Settle, list_landing, utcnow


def build_schedule(job) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="daily_morning",
        cron_schedule=f"0 {SCHEDULE_HOUR} * * *",
        execution_timezone=CLINIC_TZ,
        job=job,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="The daily job at 06:00 clinic time, for that day's as-of date.",
    )
    def daily_morning(context: dg.ScheduleEvaluationContext):
        day = context.scheduled_execution_time.astimezone(ZoneInfo(CLINIC_TZ)).date().isoformat()
        return dg.RunRequest(run_key=f"schedule-{day}", partition_key=day)

    return daily_morning


def new_landing_names(seen: set[str]) -> list[str]:
    """Settled landing files (relative names) not in `seen`, in name order."""
    paths = Paths.from_env()
    settle = Settle(utcnow(), load_policy(paths.policy)["landing.settle_seconds"])
    names = [f.name for kind in KINDS for f in list_landing(paths.landing, kind) if settle.waiting(f) is None]
    return sorted(n for n in names if n not in seen)


def build_sensor(job) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_files",
        job=job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Starts today's daily run when new files land (each file triggers at most once).",
    )
    def landing_files(context: dg.SensorEvaluationContext):
        seen = set(json.loads(context.cursor)) if context.cursor else set()
        new = new_landing_names(seen)
        if not new:
            return dg.SkipReason("no new landing files")
        day = datetime.now(ZoneInfo(CLINIC_TZ)).date().isoformat()
        key = hashlib.sha256("\n".join(new).encode()).hexdigest()[:16]
        context.update_cursor(json.dumps(sorted(seen | set(new))))
        return dg.RunRequest(
            run_key=f"landing-{key}", partition_key=day, tags={"trigger": "landing_files", "new_files": str(len(new))}
        )

    return landing_files
