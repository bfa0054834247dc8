"""The GE quality gates: suite files are valid and match the raw schema; validation maps severity
to blocking / warning outcomes and never reports a row value."""

from __future__ import annotations

import json
from datetime import date, datetime

import duckdb
import pandas as pd
import pytest

from orchestration.landing.contract import CSV_BY_NAME, CSV_TABLES, Column
from orchestration.quality import great_expectations as qge
from orchestration.raw.schema import (
    ERA_TABLES,
    LINEAGE_COLUMNS,
    OTHER_RAW_TABLES,
    ensure_schema,
    stored_columns,
)

SECRET = "ZZ-SECRET-NAME"
RAW_SUITES = {f"raw_{t.name}" for t in CSV_TABLES} | {"raw_remittance_claims", "raw_sendgrid_events"}


def raw_columns(table: str) -> list[tuple[str, str]]:
    """(name, SQL type) of raw.<table> as schema.py creates it."""
    if table in CSV_BY_NAME:
        spec = CSV_BY_NAME[table]
        return [(n, t) for n, t, _ in stored_columns(spec)] + list(LINEAGE_COLUMNS)
    return list({**ERA_TABLES, **OTHER_RAW_TABLES}[table])


# ---------------------------------------------------------------------------------------------
# plausible rows for any raw table, read back from DuckDB (so dtypes are the pipeline's own)

TEXT_VALUES = {
    "postal_code": "27514",
    "phone": "9195550123",
    "email": "pat@example.com",
    "language": "en",
    "provider_npi": "1234567893",
    "claim_status": "1",
    "claim_filing_indicator": "12",
    "event": "delivered",
    "timezone": "America/New_York",
    "primary_payer_id": "SELFPAY",
}


def _good_value(table: str, name: str, sql_type: str, i: int):
    spec = CSV_BY_NAME.get(table)
    col: Column | None = next((c for c in spec.columns if c.name == name), None) if spec else None
    if col is not None and col.type == "enum":
        return col.values[i % len(col.values)]
    if sql_type.startswith("DECIMAL"):
        return 10 + i
    if sql_type in ("INTEGER", "BIGINT"):
        return 1 + i
    if sql_type == "BOOLEAN":
        return True
    if sql_type == "DATE":
        return date(2024, 1, 15)
    if sql_type == "TIMESTAMP":
        return datetime(2024, 1, 15, 10, 30)
    if name in TEXT_VALUES:
        return TEXT_VALUES[name]
    if name in ("sha256", "_file_sha256", "file_sha256"):
        return "ab" * 32
    return f"{name}-{i}"


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    ensure_schema(c)
    yield c
    c.close()


def raw_frame(con, table: str, n: int = 3, **overrides) -> pd.DataFrame:
    """n good rows of raw.<table> as the pipeline would query them; `overrides` maps a column
    to a list of n values (or one value for every row)."""
    cols = raw_columns(table)
    con.execute(f"DELETE FROM raw.{table}")
    rows = []
    for i in range(n):
        row = []
        for name, sql_type in cols:
            if name in overrides:
                v = overrides[name]
                row.append(v[i] if isinstance(v, list) else v)
            else:
                row.append(_good_value(table, name, sql_type, i))
        rows.append(row)
    if rows:
        con.executemany(f"INSERT INTO raw.{table} VALUES ({', '.join('?' * len(cols))})", rows)
    return con.execute(f"SELECT * FROM raw.{table}").df()


def failed(result: qge.SuiteResult) -> dict[tuple[str, str | None], qge.ExpectationOutcome]:
    return {(o.expectation, o.column): o for o in result.outcomes if not o.success}


# ---------------------------------------------------------------------------------------------
# suite files


OTHER_SUITES = {"touch_audience", "placement_extract"}  # checked before any send / placement


def test_one_suite_per_raw_table():
    assert set(qge.list_suites()) == RAW_SUITES | OTHER_SUITES


@pytest.mark.parametrize("name", sorted(RAW_SUITES | OTHER_SUITES))
def test_suite_loads_and_every_type_is_a_real_expectation(name):
    data = qge.load_suite_json(name)  # builds every expectation with GE
    assert data["name"] == name
    assert data["expectations"]
    for exp in data["expectations"]:
        assert "id" not in exp
        assert exp["severity"] in ("critical", "warning", "info"), exp
        assert exp.get("meta", {}).get("notes"), f"{name}: {exp['type']} has no meta.notes"
    assert any(e["severity"] == "critical" for e in data["expectations"])


@pytest.mark.parametrize("name", sorted(RAW_SUITES))
def test_suite_columns_exist_in_raw_table(name):
    table = name.removeprefix("raw_")
    columns = {c for c, _ in raw_columns(table)}
    unknown = qge.suite_columns(qge.load_suite_json(name)) - columns
    assert not unknown, f"{name} names columns not in raw.{table}: {sorted(unknown)}"


@pytest.mark.parametrize("spec", CSV_TABLES, ids=lambda s: s.name)
def test_enum_sets_match_the_contract(spec):
    suite = qge.load_suite_json(f"raw_{spec.name}")
    for exp in suite["expectations"]:
        if exp["type"] == "expect_column_values_to_be_in_set":
            col = spec.column(exp["kwargs"]["column"])
            assert col.type == "enum"
            assert set(exp["kwargs"]["value_set"]) == set(col.values), col.name
    # every enum column of the contract is checked
    checked = {e["kwargs"]["column"] for e in suite["expectations"] if e["type"] == "expect_column_values_to_be_in_set"}
    assert checked == {c.name for c in spec.columns if c.type == "enum"}


def test_sendgrid_event_set_matches_loader():
    from orchestration.raw.events_loader import EVENTS

    suite = qge.load_suite_json("raw_sendgrid_events")
    sets = [
        e["kwargs"]["value_set"]
        for e in suite["expectations"]
        if e["type"] == "expect_column_values_to_be_in_set" and e["kwargs"]["column"] == "event"
    ]
    assert sets and set(sets[0]) == EVENTS


def _write_suite(tmp_path, name, expectations, raw=None):
    text = raw if raw is not None else json.dumps({"name": name, "expectations": expectations})
    (tmp_path / f"{name}.json").write_text(text)


@pytest.mark.parametrize(
    "exp, message",
    [
        ({"type": "expect_column_values_to_not_be_nul", "kwargs": {"column": "a"}}, "not found"),
        ({"type": "expect_column_values_to_not_be_null", "kwargs": {"colum": "a"}}, "colum"),
        ({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}, "severity": "fatal"}, "severity"),
    ],
)
def test_typo_in_a_suite_fails_naming_the_file(tmp_path, exp, message):
    _write_suite(tmp_path, "raw_typo", [exp])
    with pytest.raises(ValueError, match="raw_typo.json") as info:
        qge.load_suite_json("raw_typo", suites_dir=tmp_path)
    assert message in str(info.value)


def test_bad_json_fails_naming_the_file(tmp_path):
    _write_suite(tmp_path, "raw_broken", [], raw='{"name": "raw_broken", "expectations": [}')
    with pytest.raises(ValueError, match=r"raw_broken\.json.*invalid JSON"):
        qge.load_suite_json("raw_broken", suites_dir=tmp_path)


def test_suites_dir_override(con, tmp_path):
    """orchestration.quality.gates passes suites_dir (COLLECTIONS_EXPECTATIONS_DIR)."""
    _write_suite(
        tmp_path,
        "raw_guarantors",
        [
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "state", "value_set": ["VA"]},
                "meta": {"notes": "test"},
                "severity": "warning",
            }
        ],
    )
    assert qge.list_suites(suites_dir=tmp_path) == ["raw_guarantors"]
    result = qge.validate_dataframe(raw_frame(con, "guarantors", state="NC"), "raw_guarantors", suites_dir=tmp_path)
    assert result.success and len(result.outcomes) == 1 and len(result.warnings) == 1


# ---------------------------------------------------------------------------------------------
# validation


@pytest.mark.parametrize("name", sorted(RAW_SUITES))
def test_good_rows_pass_every_suite(con, name):
    df = raw_frame(con, name.removeprefix("raw_"))
    result = qge.validate_dataframe(df, name)
    bad = [o for o in result.outcomes if not o.success]
    assert result.success and not bad, bad
    assert result.rows == 3
    assert len(result.outcomes) == len(qge.load_suite_json(name)["expectations"])


def test_null_key_fails_critically(con):
    df = raw_frame(con, "guarantors", guarantor_id=["G1", None, "G3"])
    result = qge.validate_dataframe(df, "raw_guarantors")
    assert result.success is False
    [crit] = result.critical_failures
    assert (crit.expectation, crit.column) == ("expect_column_values_to_not_be_null", "guarantor_id")
    assert crit.unexpected_count == 1
    assert crit.detail == "1 of 3 rows null"
    assert result.as_metadata()["critical_failures"] == 1


def test_warning_only_violation_does_not_block(con):
    df = raw_frame(
        con,
        "encounters",
        total_charge=[10, 250000, 20],
        service_date=[date(2024, 1, 2), date(1985, 6, 1), date(2024, 1, 3)],
    )
    result = qge.validate_dataframe(df, "raw_encounters")
    assert result.success is True
    assert result.critical_failures == []
    got = {o.column: o for o in result.warnings}
    assert set(got) == {"total_charge", "service_date"}
    assert got["total_charge"].detail == "1 of 3 checked rows outside [-inf, 100000]"
    assert got["service_date"].unexpected_count == 1


def test_money_and_enum_rules_are_critical(con):
    df = raw_frame(con, "patient_transactions", amount=[0, 5, 7], type=["payment", "gift", "refund"])
    result = qge.validate_dataframe(df, "raw_patient_transactions")
    assert not result.success
    assert {o.column for o in result.critical_failures} == {"amount", "type"}


def test_date_pair_and_conditional_rules(con):
    df = raw_frame(con, "patient_transactions", type=["adjustment"] * 3, reason=[None, None, "settlement"])
    result = qge.validate_dataframe(df, "raw_patient_transactions")
    assert result.success
    [w] = result.warnings
    assert w.column == "reason" and w.unexpected_count == 2
    df = raw_frame(con, "encounters", claim_submitted_at=[date(2023, 1, 1), None, date(2024, 2, 1)])
    [w] = qge.validate_dataframe(df, "raw_encounters").warnings
    assert w.expectation == "expect_column_pair_values_a_to_be_greater_than_b"
    assert w.detail == "1 of 2 checked rows where claim_submitted_at < service_date"


def test_remittance_claim_status_set(con):
    df = raw_frame(con, "remittance_claims", claim_status=["1", "22", "7"])
    result = qge.validate_dataframe(df, "raw_remittance_claims")
    assert not result.success
    [crit] = result.critical_failures
    assert crit.column == "claim_status" and crit.unexpected_count == 1


def test_empty_frame_succeeds(con):
    df = raw_frame(con, "guarantors", n=0)
    result = qge.validate_dataframe(df, "raw_guarantors")
    assert result.success and result.rows == 0 and result.outcomes == []
    assert qge.validate_dataframe(pd.DataFrame(), "raw_sendgrid_events").success


def test_unknown_suite_raises_even_for_an_empty_frame():
    with pytest.raises(ValueError, match="raw_nope.json"):
        qge.validate_dataframe(pd.DataFrame(), "raw_nope")


def test_missing_column_fails_with_its_severity(con):
    df = raw_frame(con, "guarantors").drop(columns=["last_name", "postal_code"])
    result = qge.validate_dataframe(df, "raw_guarantors")
    assert not result.success
    assert [o.column for o in result.critical_failures] == ["last_name"]
    assert [o.column for o in result.warnings] == ["postal_code"]
    assert "missing from the frame" in result.critical_failures[0].detail


def test_no_row_value_ever_reaches_the_outcomes(con):
    df = raw_frame(
        con,
        "guarantors",
        state=["NC", SECRET, "XX"],
        email=[SECRET, "a@b.co", SECRET],
        postal_code=[SECRET] * 3,
        first_name=SECRET,
        phone=SECRET,
    )
    result = qge.validate_dataframe(df, "raw_guarantors")
    assert not result.success
    assert {o.column for o in result.critical_failures} == {"state"}
    assert {"email", "postal_code", "phone"} <= {o.column for o in result.warnings}
    meta = result.as_metadata()
    text = json.dumps(meta)  # JSON-able as Dagster metadata
    assert SECRET not in text and "XX" not in text
    assert SECRET not in repr(result)

    # a value GE cannot even compare (a text in a money column) is reported by error class only
    bad = raw_frame(con, "encounters").astype({"total_charge": object})
    bad.loc[1, "total_charge"] = SECRET
    outcome = next(
        o
        for o in qge.validate_dataframe(bad, "raw_encounters").outcomes
        if o.column == "total_charge" and o.expectation.endswith("_between") and not o.success
    )
    assert outcome.detail.startswith("could not be evaluated")
    assert SECRET not in outcome.detail


def test_warning_mostly_threshold(con):
    # SMS consent present on 1 of 3 rows: above the 20 % floor, no warning
    df = raw_frame(con, "guarantors", sms_consent_at=[datetime(2024, 1, 1), None, None])
    assert not qge.validate_dataframe(df, "raw_guarantors").warnings
    df = raw_frame(con, "guarantors", n=10, sms_consent_at=None)
    [w] = qge.validate_dataframe(df, "raw_guarantors").warnings
    assert w.column == "sms_consent_at"
    assert w.detail == "10 of 10 rows null (tolerated: up to 80%)"
