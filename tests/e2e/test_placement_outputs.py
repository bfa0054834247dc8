"""The real daily job on the sample clinic writes the placement batch, the recall file, the
refund work list and the settlement offers (issue 5), on a copy of the session's clinic after
its first run (so the other e2e modules keep their state):

* D+1 (2026-11-21): the first run recorded the cadence catch-up in the send ledger, so
  guarantors become placeable: a batch leaves (CSV + manifest), with the refund work list and
  the settlement offers;
* D+1 again: the same batch id, the same bytes, nobody placed twice;
* D+2: a placed guarantor opens a dispute (a new landing file) → the recall file names their
  placements, once; nobody of D+1's batch is placed again;
* a failing placement gate (an impossible critical expectation) writes no placement file.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import stat
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.actions.placement import extract
from orchestration.actions.placement.assets import BATCH
from orchestration.core.settings import EXPECTATIONS_DIR, folder_env
from tests.e2e.conftest import AS_OF, materialized, query, run_daily, run_stage

pytestmark = [pytest.mark.e2e, pytest.mark.slow(runs=4), pytest.mark.session_clinic]  # D+1 twice, D+2 twice

D1 = AS_OF + timedelta(days=1)
D2 = AS_OF + timedelta(days=2)
ENV_KEYS = (
    "COLLECTIONS_LANDING_DIR",
    "COLLECTIONS_WAREHOUSE_PATH",
    "COLLECTIONS_OUTBOX_DIR",
    "COLLECTIONS_SERVING_DIR",
    "COLLECTIONS_VAR_DIR",
    "COLLECTIONS_EXPECTATIONS_DIR",
)


def _copy_clinic(dest: Path) -> dict[str, str]:
    """Landing, warehouse (and its pay-link secret) of the session's clinic, after first_run."""
    wh = Path(os.environ["COLLECTIONS_WAREHOUSE_PATH"])
    shutil.copytree(os.environ["COLLECTIONS_LANDING_DIR"], dest / "landing")
    shutil.copy2(wh, dest / "warehouse.duckdb")
    secret = wh.with_name(wh.name + ".paylink-secret")
    if secret.exists():
        shutil.copy2(secret, dest / "warehouse.duckdb.paylink-secret")
    return folder_env(dest)


def _copy_folder(src: Path, dest: Path) -> dict[str, str]:
    """A clinic folder's landing and its files (warehouse, pay-link secret) copied into `dest`."""
    shutil.copytree(src / "landing", dest / "landing")
    for f in src.iterdir():
        if f.is_file():
            shutil.copy2(f, dest / f.name)
    return folder_env(dest)


class _Env:
    """Point the environment at a copy for the module, then restore it."""

    def __init__(self, values: dict[str, str]):
        self.values, self.old = values, {k: os.environ.get(k) for k in ENV_KEYS}

    def __enter__(self):
        for k in ENV_KEYS:
            if k in self.values:
                os.environ[k] = self.values[k]
            else:
                os.environ.pop(k, None)
        return self

    def __exit__(self, *exc):
        for k, v in self.old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _read(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _ok(result):
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return result


@pytest.fixture(scope="module")
def placed(first_run, tmp_path_factory):
    """D+1 run (and its re-run) on a copy of the clinic after the first run; yields the paths,
    the first manifest and a copy of the state D+1's placement step started from."""
    root = tmp_path_factory.mktemp("placement_e2e")
    env = _copy_clinic(root)
    with _Env(env):
        first = _ok(run_daily(D1))
        out = Path(env["COLLECTIONS_OUTBOX_DIR"]) / D1.isoformat()
        batch = extract.batch_id(D1)
        manifest_path = out / "placements" / extract.manifest_name(batch)
        snapshot = {
            p.relative_to(out): p.read_bytes()
            for p in out.rglob("*")
            if p.is_file() and p.parent.name in ("placements", "refunds", "settlements")
        }
        ledger_before = query("SELECT placement_id, status FROM ops.placement_ledger ORDER BY 1")
        # the state the D+1 run's placement step started from, for the gate test: D+1's marts,
        # the ledger as it was before that step (the first run of AS_OF placed nobody)
        gate_root = root / "gate_start"
        gate_root.mkdir()
        _copy_folder(root, gate_root)
        con = duckdb.connect(str(gate_root / "warehouse.duckdb"))
        con.execute("DELETE FROM ops.placement_ledger WHERE batch_id = ?", [batch])
        assert con.execute("SELECT count(*) FROM ops.placement_ledger").fetchone()[0] == 0
        con.close()
        # the re-run of D+1 with its dbt tests: the same files, but the models now read the
        # ledgers the first D+1 run wrote (what a real re-run's gates see)
        rerun = _ok(run_daily(D1))
        yield {
            "env": env,
            "out": out,
            "batch": batch,
            "manifest_path": manifest_path,
            "first": first,
            "rerun": rerun,
            "snapshot": snapshot,
            "ledger_before": ledger_before,
            "root": root,
            "gate_start": gate_root,
        }


def test_placement_batch_file_and_manifest(placed):
    keys = materialized(placed["first"])
    assert {"placement/batch", "placement/recalls", "refunds/work_list", "settlements/offers"} <= keys
    folder = placed["out"] / "placements"
    batch = placed["batch"]
    assert batch == "P20261121"
    manifest = json.loads(placed["manifest_path"].read_text())
    path = folder / extract.csv_name(batch)
    rows = _read(path)
    assert rows, "the sample clinic should place someone on D+1"
    assert list(rows[0]) == extract.COLUMNS
    assert manifest["file"] == path.name and manifest["batch_id"] == batch
    assert manifest["record_count"] == len(rows)
    assert Decimal(manifest["total_balance"]) == sum(Decimal(r["balance"]) for r in rows)
    assert manifest["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest["policy_version"] and manifest["as_of_date"] == D1.isoformat()
    for p in (path, placed["manifest_path"]):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    # the ledger holds exactly the file's rows, all placed; every guarantor was eligible on D+1
    with _Env(placed["env"]):
        ledger = query(
            "SELECT placement_id, guarantor_id, balance_placed, status FROM ops.placement_ledger WHERE batch_id = ?",
            [batch],
        )
        eligible = {g for (g,) in query("SELECT guarantor_id FROM marts.fct_placement_eligibility WHERE eligible")}
    assert sorted((r[0], r[1], f"{r[2]:.2f}", r[3]) for r in ledger) == sorted(
        (r["placement_id"], r["guarantor_id"], r["balance"], "placed") for r in rows
    )
    assert {r["guarantor_id"] for r in rows} <= eligible
    for r in rows:  # minimum necessary: no clinical detail, itemization present
        assert r["itemization_date"] and r["bureau_reportable"] in ("true", "false")
        assert Decimal(r["balance"]) > 0


def test_rerun_same_date_same_batch_nobody_twice(placed):
    folder = placed["out"] / "placements"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [extract.csv_name(placed["batch"]), extract.manifest_name(placed["batch"])]
    )
    after = {
        p.relative_to(placed["out"]): p.read_bytes()
        for p in placed["out"].rglob("*")
        if p.is_file() and p.parent.name in ("placements", "refunds", "settlements")
    }
    assert after == placed["snapshot"]  # nothing rewritten, nothing new
    batch_events = [
        e
        for e in placed["rerun"].all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
        and e.event_specific_data.materialization.asset_key.to_user_string() == "placement/batch"
    ]
    meta = batch_events[0].event_specific_data.materialization.metadata
    assert meta["batch_id"].value == placed["batch"] and meta["already_done"].value is True
    with _Env(placed["env"]):
        assert query("SELECT placement_id, status FROM ops.placement_ledger ORDER BY 1") == placed["ledger_before"]
        dupes = query(
            "SELECT guarantor_id FROM ops.placement_ledger GROUP BY guarantor_id HAVING count(DISTINCT batch_id) > 1"
        )
    assert dupes == []


def test_refund_and_settlement_files(placed):
    refunds = placed["out"] / "refunds" / f"refunds_{D1:%Y%m%d}.csv"
    settlements = placed["out"] / "settlements" / f"settlement_offers_{D1:%Y%m%d}.csv"
    with _Env(placed["env"]):
        n_refunds = query("SELECT count(*) FROM marts.fct_refund_items")[0][0]
        offers = query(
            "SELECT guarantor_id, offer_amount, approval_level FROM marts.fct_settlement_offers ORDER BY guarantor_id"
        )
    assert n_refunds > 0 and len(_read(refunds)) == n_refunds
    assert list(_read(refunds)[0]) == extract.REFUND_COLUMNS
    assert offers, "the sample clinic has aged silent accounts"
    rows = _read(settlements)
    assert [(r["guarantor_id"], r["offer_amount"], r["approval_level"]) for r in rows] == [
        (g, f"{a:.2f}", lvl) for g, a, lvl in offers
    ]
    assert {r["approval_level"] for r in rows} <= {"collector", "manager", "finance_lead"}
    for p in (refunds, settlements):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600


def test_recall_after_a_dispute_once(placed):
    rows = _read(placed["out"] / "placements" / extract.csv_name(placed["batch"]))
    gid = rows[0]["guarantor_id"]
    disputes = Path(placed["env"]["COLLECTIONS_LANDING_DIR"]) / "ops" / "disputes_e2e_recall.csv"
    disputes.write_text(
        "dispute_id,guarantor_id,encounter_id,opened_at,channel,reason,resolved_at,resolution,"
        f"updated_at\nD-E2E-1,{gid},,{D2}T15:00:00Z,phone,billing_error,,,{D2}T15:00:00Z\n"
    )
    arrived = datetime.fromisoformat(f"{D2}T15:05:00+00:00").timestamp()  # its arrival: a settled file
    os.utime(disputes, (arrived, arrived))  # (docs/landing.md)
    with _Env(placed["env"]):
        _ok(run_daily(D2))
        recall_path = (
            Path(placed["env"]["COLLECTIONS_OUTBOX_DIR"])
            / D2.isoformat()
            / "placements"
            / f"recall_{extract.batch_id(D2)}.csv"
        )
        recalled = _read(recall_path)
        expected = sorted(r["placement_id"] for r in rows if r["guarantor_id"] == gid)
        assert sorted(r["placement_id"] for r in recalled) == expected
        assert all(r["guarantor_id"] == gid and "dispute" in r["recall_reason"] for r in recalled)
        assert {
            s for (s,) in query("SELECT DISTINCT status FROM ops.placement_ledger WHERE guarantor_id = ?", [gid])
        } == {"recalled"}
        # nobody of D+1's batch is in D+2's batch
        placed_d1 = {r["guarantor_id"] for r in rows}
        d2 = query("SELECT guarantor_id FROM ops.placement_ledger WHERE batch_id = ?", [extract.batch_id(D2)])
        assert not placed_d1 & {g for (g,) in d2}
        before = recall_path.read_bytes()
        _ok(run_daily(D2))  # re-run: recalled once
        assert recall_path.read_bytes() == before
        assert query("SELECT count(*) FROM ops.placement_ledger WHERE guarantor_id = ? AND status = 'recalled'", [gid])[
            0
        ][0] == len(expected)


def test_failing_placement_gate_writes_no_file(placed, tmp_path):
    """The placement step (and the recall file after it) on D+1's marts as the D+1 run built
    them, with an impossible critical expectation in the placement_extract suite: the step fails,
    nothing is written, nobody is placed. Ingest and dbt are not under test: `placed` ran them on
    the same files (tests/e2e/conftest.py run_stage)."""
    env = _copy_folder(placed["gate_start"], tmp_path)
    suites = tmp_path / "expectations"
    shutil.copytree(EXPECTATIONS_DIR, suites)
    suite = json.loads((suites / "placement_extract.json").read_text())
    suite["expectations"].append(
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "balance", "max_value": 0},
            "meta": {"notes": "impossible on purpose"},
            "severity": "critical",
        }
    )
    (suites / "placement_extract.json").write_text(json.dumps(suite))
    env["COLLECTIONS_EXPECTATIONS_DIR"] = str(suites)
    with _Env(env):
        result = run_stage(BATCH, D1)
        assert not result.success
        failed = {e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"}
        assert any("placement" in k for k in failed), failed
        errors = [
            e.event_specific_data.error.to_string() for e in result.all_events if e.event_type_value == "STEP_FAILURE"
        ]
        assert any("suite placement_extract failed" in m and "(balance)" in m for m in errors), errors  # that gate
        assert "placement/batch" not in materialized(result)
        assert query("SELECT count(*) FROM ops.placement_ledger")[0][0] == 0
    folder = Path(env["COLLECTIONS_OUTBOX_DIR"]) / D1.isoformat() / "placements"
    assert not folder.exists() or not any(folder.glob("placement_*"))
