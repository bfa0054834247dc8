"""What every asset of the daily job shares, in one place: the daily partition (one as-of date),
one date per run in a backfill, the warehouse pool (one DuckDB writer at a time) -- and the one
Dagster warning that comes with them.

    with daily_assets():
        @dg.asset(**daily_asset(), key=..., group_name=..., ...)
        def my_asset(context, collections: CollectionsResource): ...
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg

from orchestration.core.partitions import daily_partitions
from orchestration.core.resources import WAREHOUSE_POOL


def daily_asset(*, pool: bool = True) -> dict[str, Any]:
    """Keyword arguments of `@dg.asset` / `@dg.multi_asset` / `@dbt_assets` for a daily-job step:
    the daily partitions, `BackfillPolicy.multi_run(1)` (a backfill runs the dates one per run,
    in order) and, unless `pool=False`, the warehouse pool."""
    settings: dict[str, Any] = {"partitions_def": daily_partitions, "backfill_policy": dg.BackfillPolicy.multi_run(1)}
    if pool:
        settings["pool"] = WAREHOUSE_POOL
    return settings


@contextmanager
def daily_assets() -> Iterator[None]:
    """Define daily assets inside this block: `backfill_policy` on `@asset` is a beta parameter in
    Dagster 1.13 and warns at definition; one date per run is what we want."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*backfill_policy.*")
        yield
