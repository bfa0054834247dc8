"""Placement batch, recall file and refund work list on a small hand-built DuckDB (the marts
the stage reads, created directly: no dbt)."""

from __future__ import annotations

import csv
import hashlib
import json
import stat
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.actions.placement import extract, run

AS_OF = date(2026, 11, 20)
NEXT = date(2026, 11, 21)
SUITES = Path(__file__).resolve().parents[3] / "expectations"

ELIGIBILITY = [  # guarantor, eligible, balance
    ("G1", True, "300.00"),
    ("G2", True, "45.50"),
    ("G3", False, "999.00"),
]
ENCOUNTERS = [  # encounter, guarantor, balance, bureau
    ("E1a", "G1", "200.00", False),
    ("E1b", "G1", "100.00", True),
    ("E2", "G2", "45.50", False),
    ("E3", "G3", "999.00", True),
]
GUARANTORS = [  # id, first, last, addr, phone
    ("G1", '=HYPERLINK("x")', "Smith", "1 Main St", "+15551234567"),
    ("G2", "Ann", "@Jones", "2 Oak Ave", "(217) 555-0142"),
    ("G3", "Bob", "Brown", "3 Elm St", "(217) 555-0143"),
]


def build(path: Path) -> Path:
    con = duckdb.connect(str(path))
    for s in ("marts", "intermediate", "staging"):
        con.execute(f"CREATE SCHEMA {s}")
    run.ensure_ledger(con)
    con.execute("""CREATE TABLE marts.fct_placement_eligibility (guarantor_id VARCHAR, eligible BOOLEAN,
        balance DECIMAL(18,2), itemization_date DATE, itemization_amount DECIMAL(18,2),
        payments_since_itemization DECIMAL(18,2), credits_since_itemization DECIMAL(18,2),
        last_payment_date DATE, documented_attempts INTEGER, proof_of_contact_kinds VARCHAR,
        bureau_reportable BOOLEAN, policy_version VARCHAR, as_of_date DATE)""")
    for g, ok, bal in ELIGIBILITY:
        con.execute(
            "INSERT INTO marts.fct_placement_eligibility VALUES (?, ?, ?, DATE '2026-06-01', ?, "
            "10, 5, DATE '2026-07-01', 4, 'delivered_touch', false, 'v-test', DATE '2026-11-20')",
            [g, ok, bal, bal],
        )
    # the sources the gate reads the protective rules from (independently of `eligible`)
    con.execute(
        "CREATE TABLE intermediate.int_protective_flags (guarantor_id VARCHAR, has_open_dispute BOOLEAN, "
        "hardship_state VARCHAR, is_deceased BOOLEAN, is_bankrupt BOOLEAN)"
    )
    con.execute(
        "INSERT INTO intermediate.int_protective_flags VALUES ('G1', false, 'none', false, false), "
        "('G2', false, 'none', false, false), ('G3', false, 'none', false, false)"
    )
    con.execute(
        "CREATE TABLE intermediate.int_plan_status (plan_id VARCHAR, guarantor_id VARCHAR, in_good_standing BOOLEAN)"
    )
    con.execute("INSERT INTO intermediate.int_plan_status VALUES ('PL-1', 'G1', false)")
    con.execute("CREATE TABLE staging.stg_policy (policy_version VARCHAR, placement_min_balance DECIMAL(18,2))")
    con.execute("INSERT INTO staging.stg_policy VALUES ('v-test', 25)")
    con.execute("""CREATE TABLE intermediate.int_placement_encounters (encounter_id VARCHAR,
        guarantor_id VARCHAR, service_date DATE, balance DECIMAL(18,2), is_bureau_reportable BOOLEAN,
        procedure_code VARCHAR)""")
    for e, g, bal, b in ENCOUNTERS:
        con.execute(
            "INSERT INTO intermediate.int_placement_encounters VALUES (?, ?, DATE '2026-03-01', ?, ?, '99213')",
            [e, g, bal, b],
        )
    con.execute("""CREATE TABLE staging.stg_guarantors (guarantor_id VARCHAR, first_name VARCHAR,
        last_name VARCHAR, address_line1 VARCHAR, address_line2 VARCHAR, city VARCHAR, state VARCHAR,
        postal_code VARCHAR, phone VARCHAR, deceased_date DATE, bankruptcy_filed_date DATE)""")
    for g, first, last, a, p in GUARANTORS:
        con.execute(
            "INSERT INTO staging.stg_guarantors VALUES (?, ?, ?, ?, NULL, 'Springfield', 'IL', '62701', ?, NULL, NULL)",
            [g, first, last, a, p],
        )
    con.execute("""CREATE TABLE marts.fct_placements (placement_id VARCHAR, guarantor_id VARCHAR,
        status VARCHAR, needs_recall BOOLEAN, recall_reasons VARCHAR)""")
    con.execute("""CREATE TABLE marts.fct_refund_items (guarantor_id VARCHAR, household_id VARCHAR,
        credit_amount DECIMAL(18,2), applied_within_household DECIMAL(18,2), refund_amount DECIMAL(18,2),
        credit_since DATE, due_date DATE, is_overcharge BOOLEAN)""")
    con.execute("""CREATE TABLE marts.fct_settlement_offers (guarantor_id VARCHAR, balance DECIMAL(18,2),
        age_days INTEGER, documented_attempts INTEGER, discount_pct DECIMAL(5,2), offer_amount DECIMAL(18,2),
        approval_level VARCHAR, next_approval_level VARCHAR, next_max_discount_pct DECIMAL(5,2),
        as_of_date DATE, segment VARCHAR)""")
    con.execute(
        "INSERT INTO marts.fct_settlement_offers VALUES ('G7', 500, 150, 4, 20, 400, 'collector', "
        "'manager', 40, DATE '2026-11-20', 'silent_aged'), ('=G6', 80, 130, 3, 20, 64, 'collector', "
        "'manager', 40, DATE '2026-11-20', 'silent_aged')"
    )
    con.execute(
        "INSERT INTO marts.fct_refund_items VALUES ('G9', 'H9', 50, 20, 30, DATE '2026-11-10', "
        "DATE '2026-11-23', false), ('G8', '-H8', 10, 0, 10, DATE '2026-11-19', DATE '2026-11-19', true)"
    )
    con.close()
    return path


@pytest.fixture
def wh(tmp_path) -> Path:
    return build(tmp_path / "wh.duckdb")


@pytest.fixture
def outbox(tmp_path) -> Path:
    return tmp_path / "outbox"


def q(wh: Path, sql: str, params=None):
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def place(wh, outbox, as_of=AS_OF, **kw):
    return run.place(warehouse=wh, outbox=outbox, as_of=as_of, suites_dir=SUITES, **kw)


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_batch_and_placement_ids_are_deterministic():
    assert extract.batch_id(AS_OF) == "P20261120"
    assert extract.batch_date("P20261120") == AS_OF
    assert extract.placement_id("P20261120", "E1") == extract.placement_id("P20261120", "E1")
    assert extract.placement_id("P20261120", "E1") != extract.placement_id("P20261120", "E2")


def test_rows_one_per_open_encounter_of_eligible_guarantors_no_clinical_detail(wh):
    con = duckdb.connect(str(wh), read_only=True)
    rows = extract.placement_rows(con, AS_OF)
    con.close()
    assert [(r["guarantor_id"], r["encounter_id"]) for r in rows] == [("G1", "E1a"), ("G1", "E1b"), ("G2", "E2")]
    assert {r["batch_id"] for r in rows} == {"P20261120"}
    assert rows[1]["bureau_reportable"] is True and rows[0]["bureau_reportable"] is False
    assert "procedure_code" not in rows[0]
    assert not {"procedure", "diagnosis", "provider", "specialty"} & {c.split("_")[0] for c in extract.COLUMNS}


def test_formula_injection_escaped():
    for v in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert extract.escape_cell(v) == "'" + v
    assert extract.escape_cell("Smith") == "Smith"
    assert extract.escape_cell(Decimal("-5")) == Decimal("-5")


def test_place_writes_csv_and_manifest(wh, outbox):
    report = place(wh, outbox)
    folder = outbox / "2026-11-20" / "placements"
    data = (folder / "placement_P20261120.csv").read_bytes()
    manifest = json.loads((folder / "placement_P20261120.manifest.json").read_text())
    assert manifest["record_count"] == 3 == report.placed
    assert manifest["total_balance"] == "345.50"
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["policy_version"] == "v-test" and manifest["batch_id"] == "P20261120"
    assert manifest["as_of_date"] == "2026-11-20"
    for f in folder.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    rows = read_csv(folder / "placement_P20261120.csv")
    assert rows[0]["first_name"] == '\'=HYPERLINK("x")' and rows[0]["phone"] == "'+15551234567"
    assert rows[2]["last_name"] == "'@Jones"
    assert rows[0]["balance"] == "200.00"
    assert q(wh, "SELECT status, count(*) FROM ops.placement_ledger GROUP BY 1") == [("placed", 3)]


def test_rerun_places_nobody_twice(wh, outbox):
    place(wh, outbox)
    folder = outbox / "2026-11-20" / "placements"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    again = place(wh, outbox)
    assert again.already_done and again.placed == 0
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    # the next day the mart refuses them (placed before D: docs/rules.md §8), so nobody is
    # placed again; a mart that still said eligible would be stopped by the gate, which reads
    # the placement ledger itself
    con = duckdb.connect(str(wh))
    con.execute("UPDATE marts.fct_placement_eligibility SET as_of_date = DATE '2026-11-21'")
    con.close()
    with pytest.raises(run.PlacementGateError, match="gate_placed_before"):
        place(wh, outbox, NEXT)
    con = duckdb.connect(str(wh))
    con.execute("UPDATE marts.fct_placement_eligibility SET eligible = false WHERE guarantor_id IN ('G1', 'G2')")
    con.close()
    nxt = place(wh, outbox, NEXT)
    assert nxt.placed == 0 and not (outbox / "2026-11-21" / "placements").exists()
    assert q(wh, "SELECT count(*) FROM ops.placement_ledger") == [(3,)]


def test_crash_between_planned_and_placed_with_manifest_resolves_to_placed(wh, outbox):
    place(wh, outbox)
    con = duckdb.connect(str(wh))
    con.execute("UPDATE ops.placement_ledger SET status = 'planned'")
    con.close()
    report = place(wh, outbox)
    assert report.recovered == {"placed": 3} and report.already_done
    assert q(wh, "SELECT DISTINCT status FROM ops.placement_ledger") == [("placed",)]


def test_crash_before_manifest_replans(wh, outbox, monkeypatch):
    real = extract.write_batch

    def boom(rows, out_dir, manifest, data=None):
        extract.atomic_write(Path(out_dir) / extract.csv_name(manifest["batch_id"]), b"partial")
        raise OSError("disk died")

    monkeypatch.setattr(extract, "write_batch", boom)
    with pytest.raises(OSError):
        place(wh, outbox)
    assert q(wh, "SELECT DISTINCT status FROM ops.placement_ledger") == [("planned",)]
    monkeypatch.setattr(extract, "write_batch", real)
    report = place(wh, outbox)
    assert report.recovered == {"replanned": 3} and report.placed == 3
    folder = outbox / "2026-11-20" / "placements"
    manifest = json.loads((folder / "placement_P20261120.manifest.json").read_text())
    assert manifest["sha256"] == hashlib.sha256((folder / "placement_P20261120.csv").read_bytes()).hexdigest()
    assert q(wh, "SELECT status, count(*) FROM ops.placement_ledger GROUP BY 1") == [("placed", 3)]


def test_write_batch_second_call_is_noop(tmp_path):
    rows = [
        {
            "placement_id": "P1-a",
            "batch_id": "P1",
            "guarantor_id": "G",
            "encounter_id": "E",
            "balance": Decimal("10.00"),
        }
    ]
    meta = {"batch_id": "P20261120", "policy_version": "v", "as_of_date": "2026-11-20"}
    first = extract.write_batch(rows, tmp_path, meta)
    second = extract.write_batch(rows + rows, tmp_path, meta)
    assert first == second and first["record_count"] == 1


def test_gate_failure_writes_nothing(wh, outbox):
    con = duckdb.connect(str(wh))  # a duplicate encounter row → duplicate placement_id
    con.execute(
        "INSERT INTO intermediate.int_placement_encounters VALUES ('E2', 'G2', DATE '2026-03-01', "
        "45.50, false, '99213')"
    )
    con.close()
    with pytest.raises(run.PlacementGateError, match="placement_extract"):
        place(wh, outbox)
    assert not outbox.exists()
    assert q(wh, "SELECT count(*) FROM ops.placement_ledger") == [(0,)]


PROTECTIVE = {  # a source row that makes an eligible guarantor unplaceable → the gate's rule
    "dispute": (
        "UPDATE intermediate.int_protective_flags SET has_open_dispute = true WHERE guarantor_id = 'G2'",
        "gate_open_dispute",
    ),
    "hardship_pending": (
        "UPDATE intermediate.int_protective_flags SET hardship_state = 'pending' WHERE guarantor_id = 'G2'",
        "gate_hardship_state",
    ),
    "hardship_active": (
        "UPDATE intermediate.int_protective_flags SET hardship_state = 'active' WHERE guarantor_id = 'G2'",
        "gate_hardship_state",
    ),
    "deceased": (
        "UPDATE intermediate.int_protective_flags SET is_deceased = true WHERE guarantor_id = 'G1'",
        "gate_deceased",
    ),
    "bankrupt": (
        "UPDATE intermediate.int_protective_flags SET is_bankrupt = true WHERE guarantor_id = 'G2'",
        "gate_bankrupt",
    ),
    "active_plan": ("UPDATE intermediate.int_plan_status SET in_good_standing = true", "gate_active_plan"),
    "min_balance": ("UPDATE staging.stg_policy SET placement_min_balance = 50", "guarantor_balance"),
}


@pytest.mark.parametrize("case", sorted(PROTECTIVE))
def test_gate_blocks_each_protective_rule_even_when_eligible_says_yes(wh, outbox, case):
    sql, column = PROTECTIVE[case]
    con = duckdb.connect(str(wh))
    con.execute(sql)
    con.close()
    with pytest.raises(run.PlacementGateError) as err:
        place(wh, outbox)
    assert column in str(err.value)
    assert not outbox.exists() and q(wh, "SELECT count(*) FROM ops.placement_ledger") == [(0,)]


def test_gate_passes_on_the_other_side(wh, outbox):
    """Flags of guarantors not in the batch, a defaulted plan and a balance exactly at the
    minimum do not block (a deceased date after D is no flag on D: int_protective_flags)."""
    con = duckdb.connect(str(wh))
    con.execute(
        "UPDATE intermediate.int_protective_flags SET has_open_dispute = true, is_deceased = true "
        "WHERE guarantor_id = 'G3'"
    )
    con.execute("UPDATE staging.stg_policy SET placement_min_balance = 45.50")
    con.close()
    report = place(wh, outbox)
    assert report.gate["success"] and report.placed == 3


def test_control_totals_must_equal_the_manifest(wh):
    con = duckdb.connect(str(wh))
    rows = extract.placement_rows(con, AS_OF)
    con.close()
    data = extract.to_csv(rows, extract.COLUMNS)
    good = extract.control_totals(data) | {"manifest_record_count": 3, "manifest_total_balance": "345.50"}
    assert good["file_record_count"] == 3 and good["file_total_balance"] == "345.50"
    assert run.gate(rows, SUITES, good).success
    for bad in ({"manifest_record_count": 4}, {"manifest_total_balance": "345.49"}):
        result = run.gate(rows, SUITES, good | bad)
        assert not result.success
        assert {o.expectation for o in result.critical_failures} == {"expect_column_pair_values_to_be_equal"}


def test_backfill_record_mode_writes_nothing(wh, outbox):
    report = place(wh, outbox, send=False)
    assert report.mode == "record" and report.candidates == 3 and report.placed == 0
    assert not outbox.exists() and q(wh, "SELECT count(*) FROM ops.placement_ledger") == [(0,)]


def test_recall_once(wh, outbox):
    place(wh, outbox)
    pid = extract.placement_id("P20261120", "E2")
    other = extract.placement_id("P20261120", "E1a")
    con = duckdb.connect(str(wh))
    con.execute(
        "INSERT INTO marts.fct_placements VALUES (?, 'G2', 'placed', true, 'dispute,deceased'), "
        "(?, 'G1', 'placed', false, NULL)",
        [pid, other],
    )
    con.close()
    r = run.recall(warehouse=wh, outbox=outbox, as_of=NEXT)
    assert r.recalled == 1
    path = outbox / "2026-11-21" / "placements" / "recall_P20261121.csv"
    assert read_csv(path) == [{"placement_id": pid, "guarantor_id": "G2", "recall_reason": "dispute,deceased"}]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert q(
        wh, "SELECT status, recalled_at, recall_reason FROM ops.placement_ledger WHERE placement_id = ?", [pid]
    ) == [("recalled", NEXT, "dispute,deceased")]
    # a re-run of the day and the next day: the mart still says needs_recall, nobody recalled again
    body = path.read_bytes()
    assert run.recall(warehouse=wh, outbox=outbox, as_of=NEXT).already_done
    assert path.read_bytes() == body
    later = run.recall(warehouse=wh, outbox=outbox, as_of=date(2026, 11, 22))
    assert later.recalled == 0 and not (outbox / "2026-11-22").exists()


def test_recall_file_written_but_ledger_not_marked_is_replayed(wh, outbox):
    place(wh, outbox)
    pid = extract.placement_id("P20261120", "E2")
    folder = outbox / "2026-11-21" / "placements"
    extract.atomic_write(
        folder / "recall_P20261121.csv",
        extract.to_csv(
            [{"placement_id": pid, "guarantor_id": "G2", "recall_reason": "hardship"}], extract.RECALL_COLUMNS
        ),
    )
    r = run.recall(warehouse=wh, outbox=outbox, as_of=NEXT)
    assert r.already_done and r.recalled == 1
    assert q(wh, "SELECT status FROM ops.placement_ledger WHERE placement_id = ?", [pid]) == [("recalled",)]


def test_refund_work_list_written_once(wh, outbox):
    r = run.refund_work_list(warehouse=wh, outbox=outbox, as_of=AS_OF)
    path = outbox / "2026-11-20" / "refunds" / "refunds_20261120.csv"
    rows = read_csv(path)
    assert r.refund_items == 2 and [x["guarantor_id"] for x in rows] == ["G8", "G9"]
    assert list(rows[0]) == extract.REFUND_COLUMNS
    assert rows[0]["household_id"] == "'-H8" and rows[1]["refund_amount"] == "30.00"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    body = path.read_bytes()
    assert run.refund_work_list(warehouse=wh, outbox=outbox, as_of=AS_OF).already_done
    assert path.read_bytes() == body


def test_assets_are_defined():
    from orchestration.actions.placement.assets import placement_assets

    keys = {k.to_user_string() for a in placement_assets for k in a.keys}
    assert keys == {"placement/batch", "placement/recalls", "refunds/work_list", "settlements/offers"}


def test_settlement_offers_written_once(wh, outbox):
    first = run.settlement_offers(warehouse=wh, outbox=outbox, as_of=AS_OF)
    path = outbox / "2026-11-20" / "settlements" / "settlement_offers_20261120.csv"
    assert first.settlement_offers == 2 and first.files == [str(path)]
    rows = read_csv(path)
    assert list(rows[0]) == extract.SETTLEMENT_COLUMNS
    assert [(r["guarantor_id"], r["offer_amount"], r["approval_level"], r["next_approval_level"]) for r in rows] == [
        ("'=G6", "64.00", "collector", "manager"),
        ("G7", "400.00", "collector", "manager"),
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.read_bytes()
    again = run.settlement_offers(warehouse=wh, outbox=outbox, as_of=AS_OF)
    assert again.already_done and again.files == [] and path.read_bytes() == before
    assert run.settlement_offers(warehouse=wh, outbox=outbox, as_of=NEXT, send=False).files == []
