"""The daily partition: one partition per as-of date, in the clinic's time zone.

The time zone is the policy's `clinic.timezone`, read when the code location loads. A policy that
cannot be read or validated must not stop the code location from loading (the UI, the schedule
and the other locations stay up): the zone is then read from the file alone, else UTC, and the
run fails at its first step with the policy's own error (`CollectionsResource`,
`check_policy`)."""

from __future__ import annotations

import os
import zoneinfo
from pathlib import Path

import dagster as dg
import yaml

from orchestration.core.settings import Paths
from orchestration.policy.policy import PolicyError, load_policy

FALLBACK_TZ = "UTC"


def _clinic_tz(path: Path) -> str:
    """The policy's clinic time zone; never raises (see the module doc)."""
    try:
        return load_policy(path).clinic_tz
    except PolicyError:
        pass
    try:
        zone = yaml.safe_load(path.read_text(encoding="utf-8"))["clinic"]["timezone"]
        zoneinfo.ZoneInfo(zone)
        return zone
    except Exception:  # unreadable, not YAML, no such key, not a zone
        return FALLBACK_TZ


CLINIC_TZ = _clinic_tz(Paths.from_env().policy)

# Partitions start early enough for a clinic's backfill of its history; the key is the as-of
# date (YYYY-MM-DD). end_offset=1 lets today's date run on the day itself.
daily_partitions = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_offset=1, timezone=CLINIC_TZ)


def check_policy(path: Path) -> None:
    """Fail a run whose policy is bad, or whose clinic time zone is not the one the code location
    was loaded with (its partitions would be dates of another zone), with a clear message."""
    try:
        policy = load_policy(path)
    except PolicyError as exc:
        raise PolicyError(f"{exc} -- fix the policy file; nothing was run") from exc
    if policy.clinic_tz != CLINIC_TZ:
        raise PolicyError(
            f"the policy's clinic.timezone is {policy.clinic_tz!r} but the code location was loaded "
            f"with {CLINIC_TZ!r} (the policy was changed or unreadable when it loaded): reload the "
            "code location; nothing was run"
        )


def is_backfill(context: dg.AssetExecutionContext) -> bool:
    """A run launched by a backfill (Dagster tags each of its runs with `dagster/backfill`), or
    a command-line backfill of one date (`orchestration.run --backfill`: tag
    `collections/backfill`, orchestration/run_history.py)."""
    return "dagster/backfill" in context.run.tags or "collections/backfill" in context.run.tags


def send_mode(context: dg.AssetExecutionContext) -> bool:
    """Whether the run's sending steps hand anything off: backfill runs record what would have
    been due without sending, unless COLLECTIONS_BACKFILL_SEND=1 (docs/operations.md)."""
    return not is_backfill(context) or os.environ.get("COLLECTIONS_BACKFILL_SEND") == "1"
