"""The run's clock: the instant a daily run started, and "now" while it runs.

Two rules read it (docs/rules.md §4 "Freshness", "Contact window"): the freshness guardrail
measures the newest patient_transactions export's arrival against the run's start, and a
text, e-mail or call that cannot be handed off inside today's contact window is deferred — in
the day's plan (dbt, from the start written to raw.run_context) and again at hand-off (Python,
against the clock at that moment).

* an ordinary run (the 06:00 schedule, the landing sensor, ``make run``): the run's start in
  the Dagster instance, and the real clock;
* a backfill run (Dagster's ``dagster/backfill`` tag): its nominal start, the schedule's
  06:00 clinic time on its as-of date, as the daily run of that date would have started
  (a backfill records, it does not send);
* a rehearsal (tag ``collections/clock``, ``python -m orchestration.run --clock``, tests):
  the run is taken to have started at that instant and its clock runs on from there in real
  time, so a test can run the 06:00 run and the 20:30 run of a given day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CLOCK_TAG = "collections/clock"
SCHEDULE_HOUR = 6  # the daily schedule's hour, clinic time (schedules.py)


@dataclass(frozen=True)
class RunClock:
    started_at: datetime  # aware, UTC
    offset: timedelta = timedelta(0)  # rehearsal instant minus the real start

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant with an offset or Z (a naive one is refused: ambiguous)."""
    value = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"{CLOCK_TAG}: {text!r} has no UTC offset")
    return value.astimezone(UTC)


def nominal_start(as_of: date, clinic_tz: str) -> datetime:
    """The scheduled start of the daily run of `as_of`: SCHEDULE_HOUR clinic time, in UTC."""
    return datetime.combine(as_of, time(SCHEDULE_HOUR), ZoneInfo(clinic_tz)).astimezone(UTC)


def clock_for(tags: dict, *, real_start: datetime | None, as_of: date, clinic_tz: str, backfill: bool) -> RunClock:
    """The clock of a run with these tags (see the module doc)."""
    real = real_start or datetime.now(UTC)
    if tags.get(CLOCK_TAG):
        started = parse_instant(tags[CLOCK_TAG])
        return RunClock(started, started - real)
    if backfill:
        return RunClock(nominal_start(as_of, clinic_tz))
    return RunClock(real.astimezone(UTC))


def run_clock(context, clinic_tz: str) -> RunClock:
    """The clock of the Dagster run executing `context` (an asset's execution context)."""
    from orchestration.core.partitions import is_backfill

    real_start = None
    try:
        record = context.instance.get_run_record_by_id(context.run_id)
        if record is not None and record.start_time:
            real_start = datetime.fromtimestamp(record.start_time, UTC)
    except Exception:  # an instance without run records: the start is now
        real_start = None
    return clock_for(
        dict(context.run.tags),
        real_start=real_start,
        as_of=date.fromisoformat(context.partition_key),
        clinic_tz=clinic_tz,
        backfill=is_backfill(context),
    )
