"""generate(): the whole clinic, as the landing contract (orchestration/landing/contract.py)
describes its files. The other test modules check one concept each."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from datetime import date
from decimal import Decimal

import pytest

from orchestration.landing.contract import CSV_BY_NAME, CSV_TABLES
from orchestration.sample import generate as exported_generate
from orchestration.sample.generator import generate
from tests.sample.landing_reader import AS_OF, YMD, local_date, money_ok, read_kind

KINDS = [t.name for t in CSV_TABLES]


def columns_of_type(kind: str, *types: str) -> list[str]:
    return [c.name for c in CSV_BY_NAME[kind].columns if c.type in types]


def test_deterministic_and_seed_sensitive(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, guarantors=200, seed=3, as_of=AS_OF, defects=True)
    generate(b, guarantors=200, seed=3, as_of=AS_OF, defects=True)
    generate(c, guarantors=200, seed=4, as_of=AS_OF, defects=True)

    def digest(root):
        return {
            str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }

    da, db, dc = digest(a), digest(b), digest(c)
    assert da == db
    assert da != dc
    assert da["pm/encounters_history.csv"] != dc["pm/encounters_history.csv"]


def test_package_exports_generate():
    assert exported_generate is generate


def test_refuses_non_empty_out(tmp_path):
    out = tmp_path / "x"
    (out / "pm").mkdir(parents=True)
    (out / "pm" / "old.csv").write_text("x\n")
    (out / "keep.txt").write_text("keep")
    with pytest.raises(FileExistsError, match="non-empty"):
        generate(out, guarantors=50)
    generate(out, guarantors=50, force=True)
    assert not (out / "pm" / "old.csv").exists()
    assert (out / "keep.txt").read_text() == "keep"


def test_files_and_columns(sample_clinic):
    root, _ = sample_clinic
    for kind in KINDS:
        cols = [c.name for c in CSV_BY_NAME[kind].columns]
        for which in ("history", "delta"):
            f = root / CSV_BY_NAME[kind].folder / (f"{kind}_history.csv" if which == "history" else f"{kind}_{YMD}.csv")
            assert f.exists(), f
            with f.open(newline="", encoding="utf-8") as fh:
                header = next(csv.reader(fh))
            assert header == cols, (f, header)
    assert list((root / "events" / "sendgrid").glob("*.json"))
    assert list((root / "era").glob("*_*_1.835"))


def test_values_formats_and_enums(sample_clinic):
    """Every value has its contract type: money, dates, timestamps (the generator writes the
    `datetime` columns as timestamps), enum values, booleans."""
    root, _ = sample_clinic
    for kind in KINDS:
        rows = read_kind(root, kind)
        assert rows or kind == "agency_activity", kind
        for r in rows:
            assert r["updated_at"], (kind, r)
            for c in columns_of_type(kind, "money"):
                assert r[c] == "" or money_ok(r[c]), (kind, c, r[c])
            for c in columns_of_type(kind, "date"):
                assert r[c] == "" or re.fullmatch(r"\d{4}-\d{2}-\d{2}", r[c]), (kind, c, r[c])
                if r[c]:
                    date.fromisoformat(r[c])
            for c in columns_of_type(kind, "timestamp", "datetime"):
                assert r[c] == "" or re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})", r[c]), (
                    kind,
                    c,
                    r[c],
                )
            for column in CSV_BY_NAME[kind].columns:
                if column.type == "enum":
                    assert r[column.name] == "" or r[column.name] in column.values, (kind, column.name, r[column.name])
                if column.type == "bool":
                    assert r[column.name] in ("", "true", "false"), (kind, column.name, r[column.name])
        if kind == "patient_transactions":
            assert all(Decimal(r["amount"]) > 0 for r in rows)
        if kind == "encounters":
            assert all(r["service_date"] <= AS_OF.isoformat() for r in rows)


def test_history_delta_split(sample_clinic):
    root, _ = sample_clinic
    for kind in KINDS:
        hist = read_kind(root, kind, "history")
        delta = read_kind(root, kind, "delta")
        key = CSV_BY_NAME[kind].key
        assert all(local_date(r["updated_at"]) < AS_OF.isoformat() for r in hist), kind
        assert all(local_date(r["updated_at"]) == AS_OF.isoformat() for r in delta), kind
        # history rows never carry information dated on as_of (clinic-local date)
        for r in hist:
            for c in columns_of_type(kind, "date"):
                if c in ("date_of_birth", "promised_date", "support_end", "first_due_date"):
                    continue
                assert r[c] < AS_OF.isoformat() or r[c] == "", (kind, c, r)
        # every delta row is newer than any previous version in history
        hmap = {r[key]: r for r in hist}
        for r in delta:
            if r[key] in hmap:
                assert hmap[r[key]]["updated_at"] != r["updated_at"]
        assert len({r[key] for r in hist}) == len(hist), kind
    assert read_kind(root, "patient_transactions", "delta")
    assert read_kind(root, "encounters", "delta")
    assert (root / "events" / "sendgrid" / f"sendgrid_{YMD}.json").exists()
    assert list((root / "era").glob(f"*_{YMD}_1.835"))


def test_no_orphans(sample_clinic):
    root, _ = sample_clinic
    g_hist = {r["guarantor_id"] for r in read_kind(root, "guarantors", "history")}
    g_all = g_hist | {r["guarantor_id"] for r in read_kind(root, "guarantors", "delta")}
    enc = read_kind(root, "encounters")
    e_hist = {r["encounter_id"] for r in read_kind(root, "encounters", "history")}
    e_all = {r["encounter_id"] for r in enc}
    plans = {r["plan_id"] for r in read_kind(root, "payment_plans")}
    for r in enc:
        assert r["guarantor_id"] in g_all
    for which, gs, es in (("history", g_hist, e_hist), ("all", g_all, e_all)):
        for kind in ("patient_transactions", "payment_plans", "disputes", "hardship", "contact_log", "agency_activity"):
            for r in read_kind(root, kind, which):
                assert r["guarantor_id"] in gs, (kind, which, r)
                if r.get("encounter_id"):
                    assert r["encounter_id"] in es, (kind, which, r)
                if r.get("plan_id"):
                    assert r["plan_id"] in plans
    enc_g = {r["encounter_id"]: r["guarantor_id"] for r in enc}
    for r in read_kind(root, "patient_transactions"):
        if r["encounter_id"]:
            assert enc_g[r["encounter_id"]] == r["guarantor_id"]
    for f in (root / "events" / "sendgrid").glob("*.json"):
        for ev in json.loads(f.read_text()):
            assert ev["guarantor_id"] in g_all


def test_defects_off_by_default(tmp_path):
    out = tmp_path / "plain"
    generate(out, guarantors=80, seed=1)
    assert not [p for p in out.rglob("*defect*")]


def test_options_are_checked(tmp_path):
    with pytest.raises(ValueError, match="delta_days"):
        generate(tmp_path / "x", guarantors=10, as_of=AS_OF, delta_days=0)
    with pytest.raises(ValueError, match="guarantors"):
        generate(tmp_path / "y", guarantors=0)
    with pytest.raises(ValueError, match="days"):
        generate(tmp_path / "z", guarantors=10, days=29)
