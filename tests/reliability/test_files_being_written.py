"""Family 3 of the second fault catalogue (issue 16): a file still being written.

Only settled files load (unchanged for the policy's `landing.settle_seconds`, measured against
the run's start; a file's modification time is its arrival), a file that changes while it is
read is put back, and when a loaded file changes afterwards nothing is sent on the balances
built from it: the `landing_files_unchanged` gate before every sending step fails naming the
file, and the next run loads the new version with a warning (docs/landing.md, "Files being
written"). The times are set on the files, so nothing here waits.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.policy.policy import load_policy
from orchestration.raw import files
from orchestration.raw.ingest import _load_isolated, ingest
from tests.raw.landing_helpers import TODAY, ledger, write
from tests.reliability.test_bad_input import E_HEADER, G_HEADER, e_row, g_row, lines

START = datetime(2026, 11, 20, 12, 0, 0)  # the run's start (naive UTC)
TX = "pm/patient_transactions_day.csv"
TX_HEADER = "transaction_id,guarantor_id,encounter_id,posted_at,type,method,updated_at,amount"
TS = "2026-01-02T10:00:00Z"
WAITING_60 = (
    "still being written? modified {age} s before the run started; a file is loaded once unchanged "
    "for 60 s (policy landing.settle_seconds): left for the next run"
)


def stamp(path: Path, when: datetime) -> None:
    t = when.replace(tzinfo=UTC).timestamp()
    os.utime(path, (t, t))


def landing(root: Path) -> Path:
    """Guarantor G1 with encounter E1, arrived long before the run."""
    for rel, text in (
        ("pm/guarantors_a.csv", lines(G_HEADER, g_row("G1"))),
        ("pm/encounters_a.csv", lines(E_HEADER, e_row("E1", charge="5000.00"))),
    ):
        stamp(write(root, rel, text), START - timedelta(days=1))
    return root


def load(con, root: Path, started_at: datetime):
    return ingest(
        con, root, load_policy(), today=TODAY, as_of=TODAY, run_id=f"run-{started_at:%H%M%S}", started_at=started_at
    )


def status(con, name: str) -> list[tuple]:
    return con.execute(
        "SELECT status, reason FROM raw.file_ledger WHERE file_name = ? ORDER BY loaded_at", [name]
    ).fetchall()


def test_a_file_modified_within_the_settle_interval_waits_then_loads(tmp_path):
    root = landing(tmp_path / "landing")
    p = write(root, TX, lines(TX_HEADER, f"T1,G1,E1,2026-03-05,payment,card,{TS},41.00"))
    stamp(p, START - timedelta(seconds=10))
    con = duckdb.connect()
    try:
        load(con, root, START)
        assert status(con, TX) == [("waiting", WAITING_60.format(age=10))]
        assert con.execute("SELECT count(*) FROM raw.patient_transactions").fetchone()[0] == 0
        load(con, root, START + timedelta(seconds=5))  # still within 60 s: recorded once
        assert len(status(con, TX)) == 1
        load(con, root, START + timedelta(seconds=60))  # settled
        assert [s for s, _ in status(con, TX)] == ["waiting", "loaded"]
        assert con.execute("SELECT amount FROM raw.patient_transactions").fetchall() == [(Decimal("41.00"),)]
    finally:
        con.close()


def test_times_set_on_purpose_are_settled(tmp_path):
    """A file from the past (its arrival kept by `cp -p`, or the sample generator's stamps) loads
    at once; so does one stamped days ahead (another machine's clock). A time just ahead of the
    run's clock may be a writer on a clock a little fast: it waits."""
    root = landing(tmp_path / "landing")
    stamp(
        write(root, "pm/patient_transactions_old.csv", lines(TX_HEADER, f"T1,G1,E1,2026-03-05,payment,card,{TS},1.00")),
        START - timedelta(hours=8),
    )
    stamp(
        write(
            root, "pm/patient_transactions_ahead.csv", lines(TX_HEADER, f"T2,G1,E1,2026-03-05,payment,card,{TS},2.00")
        ),
        START + timedelta(days=2),
    )
    stamp(
        write(
            root, "pm/patient_transactions_skew.csv", lines(TX_HEADER, f"T3,G1,E1,2026-03-05,payment,card,{TS},3.00")
        ),
        START + timedelta(seconds=30),
    )
    con = duckdb.connect()
    try:
        load(con, root, START)
        assert {r[0] for r in con.execute("SELECT transaction_id FROM raw.patient_transactions").fetchall()} == {
            "T1",
            "T2",
        }
        assert status(con, "pm/patient_transactions_skew.csv") == [("waiting", WAITING_60.format(age=0))]
    finally:
        con.close()


def test_without_the_run_start_every_file_counts_as_settled(tmp_path):
    """A tool (or a test) loading a folder it has just written passes no run start."""
    root = landing(tmp_path / "landing")
    write(root, TX, lines(TX_HEADER, f"T1,G1,E1,2026-03-05,payment,card,{TS},41.00"))
    con = duckdb.connect()
    try:
        ingest(con, root, load_policy(), today=TODAY)
        assert ledger(con, TX)[0] == "loaded"
    finally:
        con.close()


def test_a_file_that_changes_while_it_is_loaded_is_put_back(tmp_path):
    """A writer appends while the loader reads: nothing of the file is kept, it waits."""
    from orchestration.landing.contract import CSV_BY_NAME
    from orchestration.raw.checked_casts import CastContext
    from orchestration.raw.csv_loader import load_csv
    from orchestration.raw.schema import ensure_schema

    root = landing(tmp_path / "landing")
    p = write(root, TX, lines(TX_HEADER, f"T1,G1,E1,2026-03-05,payment,card,{TS},41"))
    stamp(p, START - timedelta(minutes=5))
    con = duckdb.connect()
    try:
        ensure_schema(con)
        load(con, root, START)  # G1, E1 (and T1)
        con.execute("DELETE FROM raw.patient_transactions")
        con.execute("DELETE FROM raw.file_ledger WHERE file_name = ?", [TX])
        [f], _ = files.new_files(con, root, "patient_transactions")

        def writer_goes_on(batch, serial=False):
            with p.open("a") as fh:  # the export is still being written
                fh.write("50.49\n")
            return [
                load_csv(
                    con,
                    CSV_BY_NAME["patient_transactions"],
                    batch[0],
                    CastContext("America/Chicago", TODAY),
                    serial=serial,
                )
            ]

        [out] = _load_isolated(con, [f], writer_goes_on, TODAY, "r")
        assert (out.status, out.reason) == (
            "waiting",
            "changed while it was being loaded (still being written?): nothing of it was kept; left for the next run",
        )
        assert con.execute("SELECT count(*) FROM raw.patient_transactions").fetchone()[0] == 0
        assert status(con, TX) == [("waiting", out.reason)]
    finally:
        con.close()


def test_a_cut_file_completed_later_is_reloaded_and_flagged_until_then(tmp_path):
    """The issue's case: the export stalled after `…,41` of `4150.49` for longer than the settle
    interval, so its cut version loaded ($41). Once the writer finishes, the gate names the file
    (nothing may be sent on the $41 balance) until the next run loads the whole file, with a
    warning on it, and the amount is right."""
    root = landing(tmp_path / "landing")
    p = write(
        root,
        TX,
        lines(TX_HEADER, f"T1,G1,E1,2026-03-05,payment,card,{TS},10.00").rstrip("\n")
        + f"\nT2,G1,E1,2026-03-06,payment,card,{TS},41",
    )
    stamp(p, START - timedelta(minutes=5))
    con = duckdb.connect()
    try:
        load(con, root, START)
        amount = "SELECT amount FROM raw.patient_transactions WHERE transaction_id = 'T2'"
        assert con.execute(amount).fetchone()[0] == Decimal("41.00")
        assert files.changed_since_loaded(con, root) == []
        with p.open("a") as fh:  # the writer finishes
            fh.write("50.49\n")
        stamp(p, START + timedelta(minutes=1))
        [change] = files.changed_since_loaded(con, root)
        assert change.startswith(
            f"{TX}: changed after it was loaded (now {p.stat().st_size} bytes, modified "
            "2026-11-20 12:01:00 UTC; loaded: "
        )
        load(con, root, START + timedelta(minutes=5))  # the next run
        s, reason, loaded, rejected, warnings, _ = ledger(con, TX)
        assert (s, loaded, rejected) == ("loaded_with_warnings", 2, 0)
        assert warnings == "file changed after it was loaded: the new content was loaded as a new version"
        assert con.execute(amount).fetchone()[0] == Decimal("4150.49")
        assert files.changed_since_loaded(con, root) == []
    finally:
        con.close()


def test_a_file_only_touched_is_not_a_change(tmp_path):
    root = landing(tmp_path / "landing")
    con = duckdb.connect()
    try:
        load(con, root, START)
        stamp(root / "pm/guarantors_a.csv", START + timedelta(hours=1))
        assert files.changed_since_loaded(con, root) == []
        (root / "pm/encounters_a.csv").unlink()  # removed after loading: not a change
        assert files.changed_since_loaded(con, root) == []
    finally:
        con.close()


# ------------------------------------------------ the gate before anything is sent (Dagster)
@pytest.mark.slow
@pytest.mark.parametrize("changed", [False, True], ids=["unchanged_sends", "changed_holds_everything"])
def test_nothing_is_sent_on_a_file_that_changed_after_it_was_loaded(changed, tmp_path, monkeypatch):
    """The real outreach assets behind the real `landing_files_unchanged` gate: when a loaded
    landing file has changed since, the gate fails naming it and no channel hands anything off
    (no ledger row, no outbox file); the run summary says which file and what to do."""
    from orchestration.actions.assets import AUDIENCE, outreach_assets
    from orchestration.core.resources import CollectionsResource
    from orchestration.quality.landing_gate import landing_unchanged_gate
    from orchestration.run import summary_lines
    from tests.e2e.conftest import scheduled_run_tags
    from tests.reliability.test_send_gate import AS_OF, _write_audience, good_batch

    root = landing(tmp_path / "landing")
    warehouse = tmp_path / "warehouse.duckdb"
    for key, value in (
        ("COLLECTIONS_LANDING_DIR", root),
        ("COLLECTIONS_WAREHOUSE_PATH", warehouse),
        ("COLLECTIONS_OUTBOX_DIR", tmp_path / "outbox"),
        ("COLLECTIONS_VAR_DIR", tmp_path / "var"),
    ):
        monkeypatch.setenv(key, str(value))
    monkeypatch.delenv("SENDGRID_API_KEY", raising=False)
    monkeypatch.delenv("COLLECTIONS_POLICY_PATH", raising=False)
    con = duckdb.connect(str(warehouse))
    try:
        load(con, root, START)
    finally:
        con.close()
    if changed:
        (root / "pm/encounters_a.csv").write_text(lines(E_HEADER, e_row("E1", charge="5000.00"), e_row("E2")))

    @dg.asset(
        key=AUDIENCE, partitions_def=outreach_assets[0].partitions_def, backfill_policy=dg.BackfillPolicy.multi_run(1)
    )
    def audience_batch() -> None:  # stands in for the dbt model
        _write_audience(warehouse, good_batch())

    result = dg.materialize(
        [audience_batch, landing_unchanged_gate([AUDIENCE]), *outreach_assets],
        partition_key=AS_OF.isoformat(),
        raise_on_error=False,
        resources={"collections": CollectionsResource()},
        tags=scheduled_run_tags(AS_OF),
    )
    checks = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    done = {
        e.event_specific_data.materialization.asset_key.to_user_string()
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    }
    ro = duckdb.connect(str(warehouse), read_only=True)
    try:
        handed_off = ro.execute("SELECT count(*) FROM ops.send_ledger WHERE status = 'sent'").fetchone()[0]
    finally:
        ro.close()
    outbox = [p for p in (tmp_path / "outbox").rglob("*") if p.is_file()] if (tmp_path / "outbox").exists() else []
    if not changed:
        assert result.success and [c.passed for c in checks] == [True]
        assert handed_off == 4 and outbox
        return
    assert not result.success
    [check] = checks
    assert not check.passed and check.check_name == "landing_files_unchanged"
    assert check.metadata["changed_files"].value[0].startswith("pm/encounters_a.csv: changed after it was loaded")
    assert not any(k.startswith("outreach/") for k in done)
    assert handed_off == 0 and outbox == []
    summary = "\n".join(summary_lines(result))
    assert "check failed: marts/fct_touch_audience landing_files_unchanged (ERROR)" in summary
    assert "pm/encounters_a.csv: changed after it was loaded" in summary
    assert "nothing was sent; run the date again" in summary
