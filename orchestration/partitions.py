"""The daily partition: one partition per as-of date, in the clinic's time zone."""

import dagster as dg

from orchestration.policy.policy import load_policy
from orchestration.settings import Paths

CLINIC_TZ = load_policy(Paths.from_env().policy).clinic_tz

# Partitions start early enough for a clinic's backfill of its history; the key is the as-of
# date (YYYY-MM-DD). end_offset=1 lets today's date run on the day itself.
daily_partitions = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_offset=1, timezone=CLINIC_TZ)


def is_backfill(context: dg.AssetExecutionContext) -> bool:
    """A run launched by a backfill (Dagster tags each of its runs with `dagster/backfill`), or
    a command-line backfill of one date (`orchestration.run --backfill`: tag
    `collections/backfill`, orchestration/run_history.py)."""
    return "dagster/backfill" in context.run.tags or "collections/backfill" in context.run.tags
