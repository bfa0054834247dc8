"""Runs in order (docs/operations.md, "Runs out of order"): the as-of dates of the completed
daily runs, so that a daily run for a date earlier than the last completed one is refused --
it would hand off touches dated in the past (a call planned after a later e-mail) and roll the
serving files back -- unless it runs as a backfill, which records what would have been due,
sends nothing and leaves the serving files alone.

`ops.run_history` gets one row per run that got through publishing (the serving step): its
as-of date, run id and mode (`daily` or `backfill`). Only `daily` rows set the order.
"""

from __future__ import annotations

from datetime import date

import duckdb

from orchestration.raw.files import utcnow

BACKFILL_TAG = "collections/backfill"  # a command-line backfill (orchestration.run --backfill)


def last_completed(con: duckdb.DuckDBPyConnection) -> date | None:
    """The latest as-of date a daily (not backfill) run completed, or None."""
    if not con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'ops' AND table_name = 'run_history'"
    ).fetchone()[0]:
        return None
    return con.execute("SELECT max(as_of_date) FROM ops.run_history WHERE mode = 'daily'").fetchone()[0]


def record_completed(con: duckdb.DuckDBPyConnection, as_of: date, run_id: str, backfill: bool) -> None:
    con.execute(
        "INSERT INTO ops.run_history VALUES (?, ?, ?, ?)",
        [as_of, run_id, "backfill" if backfill else "daily", utcnow()],
    )


def out_of_order(as_of: date, last: date | None) -> str | None:
    """Why a daily run for `as_of` is refused, or None when it may run (no run yet, the same
    date again, or a later date)."""
    if last is None or as_of >= last:
        return None
    return (
        f"the last completed daily run is for {last}; a daily run for {as_of} (an earlier date) "
        "would hand off touches dated in the past and move the serving files back. To rebuild a "
        f"past date run it as a backfill: `make run AS_OF={as_of} BACKFILL=1` (python -m "
        f"orchestration.run --as-of {as_of} --backfill) records what would have been due, sends "
        f"nothing and leaves the serving files at {last}; for a range use a backfill from the "
        f'UI (docs/operations.md, "Backfills"). Re-running {last} itself is always allowed.'
    )
