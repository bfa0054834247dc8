"""landing_files: history and daily deltas per kind, and arrival times as modification times."""

from __future__ import annotations

import csv
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from orchestration.sample.dates import DateFormatter, day_number
from orchestration.sample.generator import generate
from orchestration.sample.landing_files import prepare_landing, write_kind
from orchestration.sample.table import LazyTable, TableRows, id_column, timestamp_column
from orchestration.sample.vocabulary import column_names
from tests.sample.landing_reader import AS_OF


def test_delta_days_write_one_file_per_day_and_stamp_arrival_times(tmp_path):
    """delta_days=3: history before the first delta day, one delta per kind and day; a dated
    file's modification time is 23:30 clinic time on its date, the history's the day before."""
    out = tmp_path / "landing"
    s = generate(out, guarantors=200, seed=3, as_of=AS_OF, delta_days=3)
    days = ["20261118", "20261119", "20261120"]
    assert sorted(p.name for p in (out / "pm").glob("patient_transactions_*")) == [
        f"patient_transactions_{d}.csv" for d in days
    ] + ["patient_transactions_history.csv"]
    tz = ZoneInfo("America/Chicago")

    def arrival(p):
        return datetime.fromtimestamp(p.stat().st_mtime, tz).replace(tzinfo=None)

    assert arrival(out / "pm/patient_transactions_20261119.csv") == datetime(2026, 11, 19, 23, 30)
    assert arrival(out / "pm/guarantors_history.csv") == datetime(2026, 11, 17, 23, 30)
    assert all(arrival(p).date().strftime("%Y%m%d") in p.name for p in (out / "era").iterdir())
    # every row of a delta was updated on its day; the history holds nothing updated from the 18th
    for d in days:
        with (out / f"pm/patient_transactions_{d}.csv").open() as fh:
            assert {r["posted_at"] for r in csv.DictReader(fh)} <= {f"{d[:4]}-{d[4:6]}-{d[6:]}"}
    with (out / "pm/encounters_history.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert max(datetime.fromisoformat(r["updated_at"]).astimezone(tz).date() for r in rows) < date(2026, 11, 18)
    assert s["files"]["encounters"]["delta"] > 0


def test_write_kind_puts_previous_versions_in_the_history(tmp_path):
    """A row created before the first delta day and updated on it: its previous version in the
    history (sorted by key), the new one in the delta; a row created on the delta day: only there."""
    as_of = day_number(AS_OF)
    updated = np.array([as_of - 5, as_of, as_of, as_of - 1])
    created = np.array([as_of - 5, as_of - 9, as_of, as_of - 1])
    empty = {name: id_column("", np.full(4, -1), 1) for name in column_names("disputes")}
    rows = LazyTable(
        {
            **empty,
            "dispute_id": id_column("D", [4, 3, 2, 1], 1),
            "updated_at": timestamp_column(updated, np.full(4, 3600)),
        }
    )
    previous = rows.replace(updated_at=timestamp_column(np.full(4, as_of - 9), np.full(4, 3600)))
    table = TableRows(rows, previous, updated, created)
    dates = DateFormatter("America/Chicago", as_of - 30, as_of + 30)
    counts = write_kind(tmp_path, dates, "disputes", table, as_of, as_of)
    assert counts == {"history": 3, "delta": 2, "previous_versions": 1, "keys": 4}
    with (tmp_path / "ops/disputes_history.csv").open() as fh:
        history = [(r["dispute_id"], r["updated_at"][:10]) for r in csv.DictReader(fh)]
    assert history == [("D1", "2026-11-19"), ("D3", "2026-11-11"), ("D4", "2026-11-15")]
    with (tmp_path / f"ops/disputes_{AS_OF:%Y%m%d}.csv").open() as fh:
        assert [r["dispute_id"] for r in csv.DictReader(fh)] == ["D3", "D2"]


def test_prepare_landing_refuses_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(FileExistsError, match="not a directory"):
        prepare_landing(tmp_path / "f", force=True)
