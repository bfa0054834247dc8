"""The CSV rules of the landing contract (docs/landing.md): each bad input gets its exact reason,
and the good rows beside it load."""

from __future__ import annotations

import os
from datetime import UTC, date

import duckdb
import pytest

from orchestration.policy.policy import load_policy
from orchestration.raw.ingest import ingest
from tests.raw.landing_helpers import TODAY, ledger, rejects, run, write

G_HEADER = "guarantor_id,first_name,last_name,state,timezone,sms_consent_at,updated_at"


@pytest.fixture
def landing(tmp_path):
    root = tmp_path / "landing"
    write(
        root,
        "pm/guarantors_1.csv",
        G_HEADER + "\n"
        "G1,Ann,Lee,IL,America/Chicago,2026-01-02T10:00:00-06:00,2026-01-02T10:00:00Z\n"
        "G2,Bob,Ray,TX,,,2026-01-02T10:00:00Z\n",
    )
    return root


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield c
    c.close()


def test_good_file_loads_with_utc_and_local_date(con, landing):
    run(con, landing)
    rows = con.execute(
        "SELECT guarantor_id, sms_consent_at, sms_consent_date, _line FROM raw.guarantors ORDER BY 1"
    ).fetchall()
    assert rows[0][0] == "G1" and str(rows[0][1]) == "2026-01-02 16:00:00" and rows[0][2] == date(2026, 1, 2)
    assert rows[0][3] == 2 and rows[1][3] == 3
    assert ledger(con, "pm/guarantors_1.csv")[:4] == ("loaded", None, 2, 0)


def test_bad_rows_rejected_with_reason_good_rows_load(con, landing):
    write(
        landing,
        "pm/encounters_1.csv",
        "encounter_id,guarantor_id,patient_id,service_date,total_charge,primary_payer_id,updated_at\n"
        "E1,G1,P1,2026-01-01,100.00,SELFPAY,2026-01-02T10:00:00Z\n"
        "E2,G9,P1,2026-01-01,100.00,SELFPAY,2026-01-02T10:00:00Z\n"
        'E3,G1,P1,2026-01-01,"$1,200.00",SELFPAY,2026-01-02T10:00:00Z\n'
        'E4,G1,P1,2026-01-01,"1,200.00",SELFPAY,2026-01-02T10:00:00Z\n'
        "E5,G1,P1,2026-13-45,5,SELFPAY,2026-01-02T10:00:00Z\n"
        "E6,G1,P1,2099-01-01,-5,SELFPAY,2026-01-02T10:00:00Z\n"
        ",G1,P1,2026-01-01,5,SELFPAY,2026-01-02T10:00:00Z\n"
        "E8,G2,P2,2026-02-01,250.5,AETNA,2026-01-02T10:00:00Z\n",
    )
    run(con, landing)
    f = "pm/encounters_1.csv"
    assert rejects(con) == [
        (f, 3, "guarantor_id", "orphan: unknown guarantor"),
        (f, 4, "total_charge", "invalid money: currency sign"),
        (f, 5, "total_charge", "invalid money: thousands separator"),
        (f, 6, "service_date", "invalid date (expected YYYY-MM-DD)"),
        (f, 7, "service_date", "date in the future"),
        (f, 7, "total_charge", "negative amount not allowed"),
        (f, 8, "encounter_id", "missing required value"),
    ]
    loaded = con.execute("SELECT encounter_id, total_charge FROM raw.encounters ORDER BY 1").fetchall()
    assert [(e, float(c)) for e, c in loaded] == [("E1", 100.0), ("E8", 250.5)]
    assert ledger(con, f)[2:4] == (2, 6)


def test_unknown_enum_in_any_column(con, landing):
    write(
        landing,
        "pm/patient_transactions_1.csv",
        "transaction_id,guarantor_id,encounter_id,posted_at,type,method,amount,updated_at\n"
        "T1,G1,,2026-03-01,payment,card,10.00,2026-03-01T00:00:00Z\n"
        "T2,G1,,2026-03-01,gift,card,10.00,2026-03-01T00:00:00Z\n"
        "T3,G1,,2026-03-01,payment,bitcoin,10.00,2026-03-01T00:00:00Z\n"
        "T4,G1,E404,2026-03-01,payment,card,10.00,2026-03-01T00:00:00Z\n"
        "T5,G1,,2026-03-01,payment,card,0,2026-03-01T00:00:00Z\n",
    )
    run(con, landing)
    f = "pm/patient_transactions_1.csv"
    assert rejects(con) == [
        (f, 3, "type", "unknown enum value"),
        (f, 4, "method", "unknown enum value"),
        (f, 5, "encounter_id", "orphan: unknown encounter"),
        (f, 6, "amount", "amount must be greater than 0"),
    ]
    assert con.execute("SELECT transaction_id FROM raw.patient_transactions").fetchall() == [("T1",)]


def test_missing_required_column_rejects_whole_file(con, landing):
    write(landing, "pm/guarantors_2.csv", "guarantor_id,first_name,updated_at\nG3,Cy,2026-01-02T10:00:00Z\n")
    run(con, landing)
    status, reason, *_ = ledger(con, "pm/guarantors_2.csv")
    assert status == "rejected_file"
    assert reason == "pm/guarantors_2.csv: missing required column last_name"
    assert con.execute("SELECT count(*) FROM raw.guarantors WHERE guarantor_id = 'G3'").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM raw.guarantors").fetchone()[0] == 2


def test_bom_crlf_extra_columns_and_case(con, tmp_path):
    root = tmp_path / "l"
    write(
        root,
        "pm/guarantors.csv",
        b"\xef\xbb\xbf" + (G_HEADER + ",favourite_colour\r\nG1,Ann,Lee,il,,,2026-01-02T10:00:00Z,blue\r\n").encode(),
    )
    run(con, root)
    assert con.execute("SELECT guarantor_id, state FROM raw.guarantors").fetchall() == [("G1", "IL")]
    assert ledger(con, "pm/guarantors.csv")[5] == "favourite_colour"


def test_unreadable_and_empty_files_are_quarantined(con, landing):
    write(
        landing,
        "pm/guarantors_latin1.csv",
        (G_HEADER + "\nG7,Jos\xe9,Lee,IL,,,2026-01-02T10:00:00Z\n").encode("latin-1"),
    )
    write(landing, "pm/guarantors_empty.csv", b"")
    run(con, landing)
    status, reason, *_ = ledger(con, "pm/guarantors_latin1.csv")
    assert status == "quarantined" and "utf-8" in reason.lower()
    status, reason, *_ = ledger(con, "pm/guarantors_empty.csv")
    assert status == "quarantined" and "empty" in reason
    assert con.execute("SELECT count(*) FROM raw.guarantors").fetchone()[0] == 2


def test_rerun_loads_nothing_twice_and_same_bytes_once(con, landing):
    run(con, landing)
    write(landing, "pm/guarantors_copy.csv", (landing / "pm/guarantors_1.csv").read_bytes())
    report = run(con, landing)
    assert [(o.file.name, o.status) for o in report.outcomes] == [("pm/guarantors_copy.csv", "duplicate")]
    assert run(con, landing).outcomes == []
    assert con.execute("SELECT count(*) FROM raw.guarantors").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM raw.load_rejects").fetchone()[0] == 0


def test_upsert_latest_updated_at_wins_and_ties_go_to_later_file(con, landing):
    write(
        landing,
        "pm/guarantors_2.csv",
        G_HEADER + "\n"
        "G1,Ann,Older,IL,,,2025-12-01T00:00:00Z\n"  # older: loses
        "G2,Bob,Newer,TX,,,2026-02-01T00:00:00Z\n",
    )  # newer: wins
    run(con, landing)
    write(
        landing,
        "pm/guarantors_0.csv",
        G_HEADER + "\n"  # earlier name, same updated_at as G2 now
        "G2,Bob,EarlierFile,TX,,,2026-02-01T00:00:00Z\n",
    )
    write(
        landing, "pm/guarantors_3.csv", G_HEADER + "\nG1,Ann,LaterFile,IL,,,2026-01-02T10:00:00Z\n"
    )  # tie with G1's version: later file wins
    run(con, landing)
    names = dict(con.execute("SELECT guarantor_id, last_name FROM raw.guarantors").fetchall())
    assert names == {"G1": "LaterFile", "G2": "Newer"}


def test_bad_row_keeps_older_valid_version(con, landing):
    run(con, landing)
    write(landing, "pm/guarantors_2.csv", G_HEADER + "\nG1,Ann,Lee,ZZ,,,2026-05-01T00:00:00Z\n")
    run(con, landing)
    assert con.execute("SELECT state FROM raw.guarantors WHERE guarantor_id='G1'").fetchone() == ("IL",)


def test_file_changed_after_load_is_loaded_again_with_warning(con, landing):
    run(con, landing)
    p = landing / "pm/guarantors_1.csv"
    p.write_text(G_HEADER + "\nG1,Ann,Changed,IL,,,2026-06-01T00:00:00Z\n")
    os.utime(p, ns=(p.stat().st_atime_ns, p.stat().st_mtime_ns + 10_000_000_000))
    run(con, landing)
    assert "changed after it was loaded" in ledger(con, "pm/guarantors_1.csv")[4]
    assert con.execute("SELECT last_name FROM raw.guarantors WHERE guarantor_id='G1'").fetchone() == ("Changed",)


def test_empty_landing_is_a_quiet_day(con, tmp_path):
    report = ingest(con, tmp_path / "nothing", load_policy(), today=TODAY)
    assert report.outcomes == []
    assert con.execute("SELECT count(*) FROM raw.guarantors").fetchone()[0] == 0


# regressions found by the bad-input catalogue (tests/reliability/test_bad_input.py)


def test_row_with_more_fields_than_header_is_rejected_not_truncated(con, landing):
    write(
        landing,
        "pm/guarantors_2.csv",
        G_HEADER + "\n"
        "G3,Cy,Do,TX,,,2026-01-02T10:00:00Z\n"
        "G4,Di,Eh,TX,,,2026-01-02T10:00:00Z,stray,fields\n"
        "G5,Ed,Fo,TX,,,2026-01-02T10:00:00Z\n",
    )
    run(con, landing)
    assert rejects(con) == [("pm/guarantors_2.csv", 3, "(row)", "row has more fields than the header (7)")]
    assert ledger(con, "pm/guarantors_2.csv")[2:6] == (2, 1, None, None)  # no phantom extra columns


def test_huge_value_rejects_the_row_not_the_file(con, landing):
    write(
        landing,
        "pm/guarantors_2.csv",
        G_HEADER + "\nG3,Cy,Do,TX,,,2026-01-02T10:00:00Z\nG4," + "x" * 3_000_000 + ",Eh,TX,,,2026-01-02T10:00:00Z\n",
    )
    run(con, landing)
    assert rejects(con) == [("pm/guarantors_2.csv", 3, "first_name", "value too long (more than 100 characters)")]
    assert con.execute("SELECT count(*) FROM raw.guarantors").fetchone()[0] == 3


def test_line_break_inside_quotes_loads(con, landing):
    write(
        landing,
        "pm/guarantors_2.csv",
        "guarantor_id,first_name,last_name,address_line1,updated_at\n"
        'G3,Cy,Do,"12 Main St\nApt 4",2026-01-02T10:00:00Z\n'
        "G4,Di,Eh,,2026-01-02T10:00:00Z\n",
    )
    run(con, landing)
    assert con.execute(
        "SELECT guarantor_id, address_line1 FROM raw.guarantors WHERE guarantor_id IN ('G3', 'G4') ORDER BY 1"
    ).fetchall() == [("G3", "12 Main St\nApt 4"), ("G4", None)]
    assert ledger(con, "pm/guarantors_2.csv")[:4] == ("loaded", None, 2, 0)


def test_unterminated_quote_is_quarantined_with_a_plain_reason(con, landing):
    write(
        landing,
        "pm/guarantors_2.csv",
        G_HEADER + '\nG3,"Cy,Do,TX,,,2026-01-02T10:00:00Z\nG4,Di,Eh,TX,,,2026-01-02T10:00:00Z\n',
    )
    run(con, landing)
    status, reason, *_ = ledger(con, "pm/guarantors_2.csv")
    assert (status, reason) == (
        "quarantined",
        "unreadable CSV: a quoted value opened on record line 2 is never closed (it would swallow every line after it)",
    )
    assert str(landing) not in reason


def test_unrecognized_landing_file_is_named_in_the_report(con, landing, caplog):
    write(landing, "pm/Guarantors_2.CSV", G_HEADER + "\nG3,Cy,Do,TX,,,2026-01-02T10:00:00Z\n")
    report = run(con, landing)
    assert report.unrecognized == ["pm/Guarantors_2.CSV"]
    assert "not loaded: pm/Guarantors_2.CSV matches no landing file kind" in caplog.text


def test_ragged_row_far_past_the_sniff_sample_is_rejected(con, landing):
    """DuckDB's sniffer sees the first ~20,000 rows; a long row after them used to lose its
    extra fields without a word. The header now fixes the columns, and the row is rejected."""
    rows = [f"G{i},Cy,Do,TX,,,2026-01-02T10:00:00Z" for i in range(3, 30_003)]
    rows[25_000] += ",stray"
    write(landing, "pm/guarantors_2.csv", G_HEADER + "\n" + "\n".join(rows) + "\n")
    run(con, landing)
    assert rejects(con) == [("pm/guarantors_2.csv", 25_002, "(row)", "row has more fields than the header (7)")]
    assert ledger(con, "pm/guarantors_2.csv")[:4] == ("loaded", None, 29_999, 1)


def test_utf16_file_is_quarantined_with_the_reason(con, landing):
    write(landing, "pm/guarantors_2.csv", (G_HEADER + "\nG3,Cy,Do,TX,,,2026-01-02T10:00:00Z\n").encode("utf-16"))
    run(con, landing)
    status, reason = ledger(con, "pm/guarantors_2.csv")[:2]
    assert status == "quarantined"
    assert reason.startswith("not the expected format: the file looks like UTF-16 text (a UTF-16 byte order mark")


def test_arrival_cut_loads_only_files_arrived_by_then_and_keeps_the_rest(con, landing):
    """A backfill run for D loads the files modified by the end of D; later ones wait for their
    own dates and load then, once."""
    from datetime import datetime

    from orchestration.raw.ingest import end_of_day_utc

    later = write(landing, "pm/guarantors_2.csv", G_HEADER + "\nG3,Cy,Fox,IL,,,2026-01-05T10:00:00Z\n")
    day1 = end_of_day_utc(date(2026, 1, 2), "America/Chicago")
    assert day1 == datetime(2026, 1, 3, 6, 0)  # midnight Chicago = 06:00 UTC in winter
    assert end_of_day_utc(date(2026, 7, 2), "America/Chicago") == datetime(2026, 7, 3, 5, 0)
    arrived = day1.replace(tzinfo=UTC).timestamp() - 60
    os.utime(landing / "pm/guarantors_1.csv", (arrived, arrived))
    os.utime(later, (arrived + 120, arrived + 120))  # two minutes after the end of the day

    report = ingest(con, landing, load_policy(), today=TODAY, as_of=date(2026, 1, 2), run_id="b1", arrived_by=day1)
    assert [o.file.name for o in report.outcomes] == ["pm/guarantors_1.csv"]
    assert report.later == ["pm/guarantors_2.csv"]
    assert (
        con.execute("SELECT count(*) FROM raw.file_ledger WHERE file_name = 'pm/guarantors_2.csv'").fetchone()[0] == 0
    )

    day2 = end_of_day_utc(date(2026, 1, 3), "America/Chicago")
    report = ingest(con, landing, load_policy(), today=TODAY, as_of=date(2026, 1, 3), run_id="b2", arrived_by=day2)
    assert [o.file.name for o in report.outcomes] == ["pm/guarantors_2.csv"] and report.later == []
    assert (
        con.execute("SELECT string_agg(guarantor_id, ',' ORDER BY 1) FROM raw.guarantors").fetchone()[0] == "G1,G2,G3"
    )
