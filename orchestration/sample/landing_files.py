"""Writing the landing folder: CSV files per kind (history plus daily deltas), arrival times.

Layout written under the landing root::

    pm/<kind>_history.csv        everything dated before the first delta day
    pm/<kind>_<YYYYMMDD>.csv     rows created or updated on that day (one per day of the last
                                 `delta_days` days; default 1, the as-of date only)
    ops/<kind>_history.csv, ops/<kind>_<YYYYMMDD>.csv
    events/sendgrid/sendgrid_<YYYYMMDD>.json
    era/<PAYER>_<YYYYMMDD>_<n>.835

A row updated on a delta day whose key already existed appears twice: its previous version in
the history file and the new one (later `updated_at`) in the delta. A file's modification time
is when it arrived: a dated file at 23:30 clinic time on its date, the others (history and
defect files) at 23:30 on the day before the first delta day. A backfill loads files by
arrival (docs/operations.md), so a generated clinic backfills as its files would have arrived.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from orchestration.landing.contract import CSV_BY_NAME

from .dates import DateFormatter, day_date
from .table import TableRows
from .vocabulary import column_names

LANDING_DIRS = ("era", "pm", "ops", "events")
DATED_NAME = re.compile(r"_(\d{8})(?:_\d+)?\.[A-Za-z0-9]+$")  # <kind>_<YYYYMMDD>[_n].<ext>
ARRIVAL_TIME = (23, 30)
_CSV_OPTIONS = pacsv.WriteOptions(quoting_style="needed", batch_size=65536)


def prepare_landing(out: Path, force: bool) -> None:
    """Create `out`; refuse a non-empty one unless `force`, which replaces only its era/, pm/,
    ops/ and events/."""
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"--out {out} exists and is not a directory")
    if out.exists() and any(out.iterdir()):
        if not force:
            raise FileExistsError(
                f"refusing to write into non-empty {out} (use --force to replace its era/, pm/, ops/, events/)"
            )
        for name in LANDING_DIRS:
            path = out / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    out.mkdir(parents=True, exist_ok=True)


def write_csv(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(table, str(path), write_options=_CSV_OPTIONS)


def write_kind(
    out: Path, dates: DateFormatter, kind: str, table: TableRows, as_of_day: int, first_delta_day: int
) -> dict:
    """The history file (rows last updated before `first_delta_day`, plus the previous version
    of rows created before it and updated later) and one delta file per day up to the as-of
    date. Returns the row counts."""
    columns = column_names(kind)
    updated = np.asarray(table.updated_day, np.int64)
    created = np.asarray(table.created_day, np.int64)
    assert (updated <= as_of_day).all(), kind
    folder = out / CSV_BY_NAME[kind].folder
    history = table.rows.take(np.flatnonzero(updated < first_delta_day)).format(dates, columns)
    n_previous = 0
    if table.previous is not None:
        changed = np.flatnonzero((updated >= first_delta_day) & (created < first_delta_day))
        n_previous = len(changed)
        if n_previous:
            history = pa.concat_tables([history, table.previous.take(changed).format(dates, columns)])
            history = history.sort_by(CSV_BY_NAME[kind].key)
    write_csv(history, folder / f"{kind}_history.csv")
    for day in range(first_delta_day, as_of_day + 1):
        write_csv(
            table.rows.take(np.flatnonzero(updated == day)).format(dates, columns),
            folder / f"{kind}_{day_date(day).strftime('%Y%m%d')}.csv",
        )
    return {
        "history": history.num_rows,
        "delta": int((updated >= first_delta_day).sum()),
        "previous_versions": n_previous,
        "keys": len(updated),
    }


def append_rows(out: Path, kind: str, rows: list[dict]) -> None:
    """Add rows (column -> text; absent columns empty) to the end of a kind's history file."""
    columns = column_names(kind)
    path = out / CSV_BY_NAME[kind].folder / f"{kind}_history.csv"
    with path.open("a", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


def write_rows(path: Path, columns: list[str], rows: list[list[str]]) -> None:
    """A small CSV file written as given (the defect files)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue())


def stamp_arrivals(out: Path, history_day: date, clinic_tz: str) -> None:
    """Modification time = arrival: a dated file at 23:30 clinic time on its date, every other
    file at 23:30 on `history_day`."""
    zone = ZoneInfo(clinic_tz)
    for path in out.rglob("*"):
        if path.is_file():
            dated = DATED_NAME.search(path.name)
            day = datetime.strptime(dated[1], "%Y%m%d").date() if dated else history_day
            arrival = datetime.combine(
                day, datetime.min.time().replace(hour=ARRIVAL_TIME[0], minute=ARRIVAL_TIME[1]), zone
            ).timestamp()
            os.utime(path, (arrival, arrival))
