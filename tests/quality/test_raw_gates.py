"""The raw tables' suites, run on a second thread while the loaders go on
(orchestration/quality/gates.py: RawChecksAlongside): same results as one after the other,
in the same order; a failing suite still fails; an error reaches the caller."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.policy.policy import load_policy
from orchestration.quality.gates import RawChecksAlongside, raw_table_checks, run_raw_table_check
from orchestration.raw.ingest import KIND_TABLES, ingest
from tests.raw.landing_helpers import TODAY, write

G = (
    "guarantor_id,first_name,last_name,state,timezone,sms_consent_at,updated_at\n"
    "G1,Ann,Lee,IL,America/Chicago,2026-01-02T10:00:00-06:00,2026-01-02T10:00:00Z\n"
    "G2,Bob,Ray,TX,,,2026-01-02T10:00:00Z\n"
)
E = "encounter_id,guarantor_id,service_date,total_charge,updated_at\nE1,G1,2026-01-02,100.00,2026-01-02T10:00:00Z\n"


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield c
    c.close()


def _load(con, root, gates=None):
    return ingest(
        con,
        root,
        load_policy(),
        today=TODAY,
        as_of=TODAY,
        run_id="r1",
        kind_done=None if gates is None else lambda k: [gates.table_loaded(t) for t in KIND_TABLES[k]],
    )


def test_alongside_gives_the_sequential_results_in_order(con, tmp_path):
    write(tmp_path / "l", "pm/guarantors_1.csv", G)
    write(tmp_path / "l", "pm/encounters_1.csv", E)
    gates = RawChecksAlongside(con, "r1")
    _load(con, tmp_path / "l", gates)
    alongside = gates.results()
    sequential = [run_raw_table_check(con, spec, "r1") for spec in raw_table_checks()]
    assert [r.check_name for r in alongside] == [s.name for s in raw_table_checks()]
    assert [(r.check_name, r.passed, r.metadata) for r in alongside] == [
        (r.check_name, r.passed, r.metadata) for r in sequential
    ]
    by_name = {r.check_name: r for r in alongside}
    assert by_name["ge_raw_guarantors"].passed and by_name["ge_raw_guarantors"].metadata["rows"].value == 2


def test_a_failing_suite_fails_alongside(con, tmp_path, monkeypatch):
    # a stricter copy of the guarantors suite: every guarantor must have an SMS consent
    import json

    from orchestration.core.settings import EXPECTATIONS_DIR

    suites = tmp_path / "suites"
    suites.mkdir()
    for p in EXPECTATIONS_DIR.glob("*.json"):
        (suites / p.name).write_text(p.read_text())
    data = json.loads((suites / "raw_guarantors.json").read_text())
    data["expectations"].append(
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "sms_consent_at"}, "severity": "critical"}
    )
    (suites / "raw_guarantors.json").write_text(json.dumps(data))
    monkeypatch.setenv("COLLECTIONS_EXPECTATIONS_DIR", str(suites))
    write(tmp_path / "l", "pm/guarantors_1.csv", G)
    gates = RawChecksAlongside(con, "r1")
    _load(con, tmp_path / "l", gates)
    by_name = {r.check_name: r for r in gates.results()}
    assert not by_name["ge_raw_guarantors"].passed
    assert by_name["ge_raw_encounters"].passed  # nothing loaded: passes with 0 rows


def test_an_error_on_the_thread_reaches_the_caller_and_abandon_stops_it(con, tmp_path, monkeypatch):
    monkeypatch.setenv("COLLECTIONS_EXPECTATIONS_DIR", str(tmp_path / "no_such_folder"))
    write(tmp_path / "l", "pm/guarantors_1.csv", G)
    gates = RawChecksAlongside(con, "r1")
    _load(con, tmp_path / "l", gates)
    with pytest.raises(ValueError, match="no such expectation suite file"):
        gates.results()
    other = RawChecksAlongside(con, "r1")
    other.abandon()  # returns: the thread ended, nothing run
    assert not other._thread.is_alive()
