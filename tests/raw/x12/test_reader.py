"""Tests of the stdlib X12 835 reader (orchestration/raw/x12/).

Two sets:
* the project's own fixtures in tests/fixtures/x12/ (always run);
* the shared conformance set in ../shared/data/x12-835/ (skipped when that folder is missing),
  asserting the figures of ../shared/data/README.md.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.raw.x12 import (
    COLUMNS,
    MONEY_COLUMNS,
    Remittance,
    X12QuarantineError,
    parse_835,
    parse_835_columns,
    parse_835_rows,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "x12"
SHARED = Path(__file__).parents[4] / "shared" / "data" / "x12-835"

D = Decimal


def load(name: str) -> Remittance:
    return parse_835((FIXTURES / name).read_bytes())


def claims_by_index(r: Remittance) -> dict[int, dict]:
    return {c["claim_index"]: c for c in r.claims}


def pr(c: dict) -> tuple:
    return (c["pr_deductible"], c["pr_coinsurance"], c["pr_copay"], c["pr_other"])


# ---------------------------------------------------------------------------------------------
# the clean two-transaction file


@pytest.fixture(scope="module")
def clean() -> Remittance:
    return load("clean_two_tx_crlf.835")


def test_clean_file_loads_without_warnings(clean):
    assert clean.warnings == []
    assert [t["status"] for t in clean.transactions] == ["loaded", "loaded"]
    assert len(clean.claims) == 5
    assert len(clean.adjustments) == 16
    assert len(clean.service_lines) == 5
    assert len(clean.provider_adjustments) == 2


def test_clean_transactions(clean):
    t0, t1 = clean.transactions
    assert t0 == {
        "transaction_index": 0,
        "st_control_number": "0001",
        "payer_id": "ACME01",  # N1*PR N104 wins over REF*2U
        "payer_name": "ACME HEALTH PLAN",
        "payment_amount": D("420.00"),
        "credit_debit_flag": "C",
        "payment_method": "ACH",
        "payment_date": date(2024, 1, 16),
        "payment_date_source": "BPR16",
        "trace_number": "EFT0001",
        "payee_id": "1234567893",
        "claim_count": 3,
        "status": "loaded",
        "hold_reason": None,
        "version": "005010X221A1",
    }
    assert t1["transaction_index"] == 1
    assert t1["st_control_number"] == "0002"
    assert t1["payer_id"] == "BETA2U"  # no N104: REF*2U
    assert t1["payer_name"] == "BETA INSURANCE"
    assert t1["payment_amount"] == D("10.00")
    assert t1["payment_method"] == "CHK"
    assert t1["payment_date"] == date(2024, 1, 17)
    assert t1["trace_number"] == "CHK0002"
    assert t1["claim_count"] == 2
    assert t1["version"] == "005010X221A1"  # no ST03: GS08


def test_clean_claims(clean):
    c = claims_by_index(clean)
    assert sorted(c) == [0, 1, 2, 3, 4]
    # primary
    assert c[0]["transaction_index"] == 0
    assert c[0]["patient_control_number"] == "ENC-1001"
    assert c[0]["claim_status"] == "1"
    assert (c[0]["charge"], c[0]["paid"], c[0]["patient_responsibility"]) == (
        D("500.00"),
        D("320.00"),
        D("80.00"),
    )
    assert c[0]["claim_filing_indicator"] == "12"
    assert c[0]["payer_claim_control_number"] == "PCN0001"
    assert (c[0]["service_date_start"], c[0]["service_date_end"]) == (
        date(2024, 1, 2),
        date(2024, 1, 3),
    )
    assert c[0]["payer_id"] == "ACME01"
    assert c[0]["payment_date"] == date(2024, 1, 16)
    # secondary, dates from the service line DTM*150/151
    assert c[1]["claim_status"] == "2"
    assert (c[1]["service_date_start"], c[1]["service_date_end"]) == (
        date(2024, 1, 5),
        date(2024, 1, 7),
    )
    # denial: CLP01 trimmed, paid 0, DTM*232 only -> end from the service line
    assert c[2]["patient_control_number"] == "ENC-1003"
    assert c[2]["claim_status"] == "4"
    assert c[2]["paid"] == D("0")
    assert (c[2]["service_date_start"], c[2]["service_date_end"]) == (
        date(2024, 1, 8),
        date(2024, 1, 9),
    )
    # reversal (22) of claim 0: same CLP07, negative money, in a transaction without LX
    assert c[3]["transaction_index"] == 1
    assert c[3]["claim_status"] == "22"
    assert c[3]["payer_claim_control_number"] == c[0]["payer_claim_control_number"]
    assert (c[3]["charge"], c[3]["paid"], c[3]["patient_responsibility"]) == (
        D("-500.00"),
        D("-320.00"),
        D("-80.00"),
    )
    assert c[3]["payer_id"] == "BETA2U"
    assert c[3]["payment_date"] == date(2024, 1, 17)
    assert c[4]["claim_status"] == "1"
    assert c[4]["payer_claim_control_number"] == "PCN0001A"
    assert sum(x["patient_responsibility"] for x in clean.claims) == D("255.00")


def test_pr_claim_level_wins_over_service_level_and_is_never_added(clean):
    c = claims_by_index(clean)
    # claim 0 has PR-1 50 / PR-2 30 at claim level and the same again on its lines
    assert pr(c[0]) == (D("50.00"), D("30.00"), 0, 0)
    # claim 1: only line-level PR, in one multi-triplet CAS
    assert pr(c[1]) == (D("10.00"), D("10.00"), D("5.00"), 0)
    # claim 2: PR-27 -> other
    assert pr(c[2]) == (0, 0, 0, D("180.00"))
    assert pr(c[3]) == (D("-50.00"), D("-30.00"), 0, 0)
    # claim 4: CO at claim level, PR only on the line
    assert pr(c[4]) == (0, 0, D("50.00"), 0)
    for claim in clean.claims:
        assert sum(pr(claim)) == claim["patient_responsibility"]


def test_adjustment_rows(clean):
    rows = [a for a in clean.adjustments if a["claim_index"] == 1]
    assert rows == [
        {
            "claim_index": 1,
            "level": "service",
            "service_line_index": 0,
            "group_code": "PR",
            "reason_code": "1",
            "amount": D("10.00"),
            "quantity": None,
        },
        {
            "claim_index": 1,
            "level": "service",
            "service_line_index": 0,
            "group_code": "PR",
            "reason_code": "2",
            "amount": D("10.00"),
            "quantity": None,
        },
        {
            "claim_index": 1,
            "level": "service",
            "service_line_index": 0,
            "group_code": "PR",
            "reason_code": "3",
            "amount": D("5.00"),
            "quantity": None,
        },
        {
            "claim_index": 1,
            "level": "service",
            "service_line_index": 0,
            "group_code": "OA",
            "reason_code": "23",
            "amount": D("125.00"),
            "quantity": None,
        },
    ]
    claim0 = [
        (a["level"], a["service_line_index"], a["group_code"], a["reason_code"], a["amount"])
        for a in clean.adjustments
        if a["claim_index"] == 0
    ]
    assert claim0 == [
        ("claim", None, "PR", "1", D("50.00")),
        ("claim", None, "PR", "2", D("30.00")),
        ("service", 0, "CO", "45", D("50.00")),
        ("service", 0, "PR", "1", D("50.00")),
        ("service", 1, "CO", "45", D("50.00")),
        ("service", 1, "PR", "2", D("30.00")),
    ]


def test_service_lines(clean):
    rows = [
        (
            s["claim_index"],
            s["service_line_index"],
            s["procedure"],
            s["charge"],
            s["paid"],
            s["units"],
            s["service_date"],
        )
        for s in clean.service_lines
    ]
    assert rows == [
        (0, 0, "HC:99213", D("300.00"), D("200.00"), D("1"), date(2024, 1, 2)),
        (0, 1, "HC:85025:QW", D("200.00"), D("120.00"), D("2"), date(2024, 1, 3)),
        (1, 0, "HC:99214", D("250.00"), D("100.00"), D("1"), date(2024, 1, 5)),
        (2, 0, "HC:97110", D("180.00"), D("0"), D("4"), date(2024, 1, 9)),
        (4, 0, "HC:99213", D("500.00"), D("350.00"), D("1"), date(2024, 1, 2)),
    ]


def test_plb_rows_enter_the_balance(clean):
    assert clean.provider_adjustments == [
        {
            "transaction_index": 1,
            "provider_id": "1234567893",
            "fiscal_period_date": date(2024, 12, 31),
            "reason_code": "WO",
            "reference": "ACCT77",
            "amount": D("25.00"),
        },
        {
            "transaction_index": 1,
            "provider_id": "1234567893",
            "fiscal_period_date": date(2024, 12, 31),
            "reason_code": "FB",
            "reference": None,
            "amount": D("-5.00"),
        },
    ]
    # BPR02 10.00 = sum CLP04 (-320 + 350) - sum PLB (25 - 5)
    t1 = clean.transactions[1]
    paid = sum(c["paid"] for c in clean.claims if c["transaction_index"] == 1)
    plb = sum(p["amount"] for p in clean.provider_adjustments)
    assert t1["payment_amount"] == paid - plb


def test_money_is_decimal_and_dates_are_dates(clean):
    for c in clean.claims:
        for k in ("charge", "paid", "patient_responsibility", "pr_deductible", "pr_other"):
            assert type(c[k]) is Decimal
        assert type(c["service_date_start"]) is date
    for a in clean.adjustments:
        assert type(a["amount"]) is Decimal


@pytest.mark.parametrize(
    "name",
    [
        "clean_two_tx_oneline.835",  # '|' elements, '>' components, '{' repetition, no newlines,
        #                              non-fixed-width ISA
        "clean_two_tx_newline_term.835",  # the segment terminator is the line break itself
        "clean_two_tx_wrapped80.edi",  # '~' terminators, the text wrapped at 80 columns (CRLF)
    ],
)
def test_terminator_and_separator_styles_read_the_same(clean, name):
    other = load(name)
    assert other == clean


def test_two_interchanges_with_different_separators_in_one_file():
    data = (FIXTURES / "clean_two_tx_crlf.835").read_bytes() + (FIXTURES / "clean_two_tx_oneline.835").read_bytes()
    r = parse_835(data)
    assert [t["transaction_index"] for t in r.transactions] == [0, 1, 2, 3]
    assert [c["claim_index"] for c in r.claims] == list(range(10))
    assert [c["transaction_index"] for c in r.claims] == [0, 0, 0, 1, 1, 2, 2, 2, 3, 3]
    assert sum(c["patient_responsibility"] for c in r.claims) == D("510.00")
    assert r.warnings == []
    # also when the second ISA follows the first IEA's terminator on the same line
    one_line = (FIXTURES / "clean_two_tx_oneline.835").read_bytes()
    r2 = parse_835(one_line + one_line)
    assert len(r2.transactions) == 4 and len(r2.claims) == 10


# ---------------------------------------------------------------------------------------------
# bare ST..SE files


@pytest.mark.parametrize("name", ["bare_st.835", "bare_st_newline_term.txt"])
def test_bare_st_file(name):
    r = load(name)
    assert r.warnings == []
    (t,) = r.transactions
    assert t["status"] == "loaded"
    assert t["payer_id"] == "GAMMA01"
    assert t["version"] is None
    assert t["payment_date"] == date(2024, 2, 1)
    (c,) = r.claims
    assert c["patient_control_number"] == "ENC-2001"
    assert c["patient_responsibility"] == D("50.00")
    assert pr(c) == (0, 0, D("50.00"), 0)
    assert (c["service_date_start"], c["service_date_end"]) == (date(2024, 1, 25),) * 2
    (s,) = r.service_lines
    assert s["procedure"] == "HC:99213"  # '>' in bare_st.835, ':' in the other


def test_bare_file_with_bad_bpr16_has_no_payment_date():
    data = (FIXTURES / "bare_st.835").read_bytes().replace(b"20240201", b"2024020")
    r = parse_835(data)
    t = r.transactions[0]
    assert t["payment_date"] is None
    assert t["payment_date_source"] is None
    assert t["status"] == "loaded"
    assert any("BPR16" in w and "no valid GS04" in w for w in r.warnings)
    assert r.claims[0]["payment_date"] is None


# ---------------------------------------------------------------------------------------------
# quarantine


def test_cut_short_file_is_quarantined():
    with pytest.raises(X12QuarantineError, match=r"cut short.*ST 0001.*no SE"):
        load("cut_short.835")


@pytest.mark.parametrize(
    "drop, reason",
    [
        (b"IEA*1*000000101~\r\n", r"ISA 000000101 has no IEA"),
        (b"GE*2*101~\r\nIEA*1*000000101~\r\n", r"GS 101 has no GE"),
        (b"SE*21*0002~\r\nGE*2*101~\r\nIEA*1*000000101~\r\n", r"ST 0002 \(no SE\)"),
    ],
)
def test_missing_trailers_are_quarantined(drop, reason):
    data = (FIXTURES / "clean_two_tx_crlf.835").read_bytes()
    assert data.endswith(drop)
    with pytest.raises(X12QuarantineError, match=reason):
        parse_835(data[: -len(drop)])


def test_st_without_se_before_next_st_is_quarantined():
    data = (FIXTURES / "clean_two_tx_crlf.835").read_bytes()
    se = data.index(b"SE*")
    cut = data[:se] + data[data.index(b"\n", se) + 1 :]
    with pytest.raises(X12QuarantineError, match=r"ST 0001 has no SE"):
        parse_835(cut)


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (b"%PDF-1.4 binary \x00\xff\xfe garbage", "unreadable"),
        (b"patient_id,amount\n1,2\n", "unreadable"),
        (b"ST*837*0001~BHT*0019*00*1~SE*3*0001~", "not an 835"),
        (b"ISA*00*", "ISA"),
    ],
)
def test_unreadable_files_are_quarantined(data, reason):
    with pytest.raises(X12QuarantineError, match=reason):
        parse_835(data)


def test_bom_and_non_utf8_bytes_are_tolerated():
    data = (FIXTURES / "bare_st.835").read_bytes()
    r = parse_835(b"\xef\xbb\xbf" + data.replace(b"GAMMA MUTUAL", b"GAMMA MUTU\xc9L"))
    assert r.transactions[0]["payer_name"] == "GAMMA MUTU\u00c9L"  # latin-1 fallback
    assert len(r.claims) == 1


# ---------------------------------------------------------------------------------------------
# held transactions and warnings


def test_unbalanced_transaction_is_held_and_the_others_load():
    r = load("unbalanced.835")
    assert [(t["st_control_number"], t["status"], t["claim_count"]) for t in r.transactions] == [
        ("1001", "held", 1),
        ("1002", "loaded", 1),
        ("1003", "held", 1),
    ]
    assert r.transactions[0]["hold_reason"] == ("unbalanced: BPR02 300.00 != sum CLP04 150.00 - sum PLB 0.00")
    assert r.transactions[1]["hold_reason"] is None
    assert r.transactions[2]["hold_reason"].startswith("malformed CLP segment")
    assert "not a number" in r.transactions[2]["hold_reason"]
    # only the balanced transaction's rows; claim_index still counts the held claim
    assert [(c["claim_index"], c["transaction_index"], c["patient_control_number"]) for c in r.claims] == [
        (1, 1, "ENC-3002")
    ]
    assert {a["claim_index"] for a in r.adjustments} == {1}
    assert {s["claim_index"] for s in r.service_lines} == {1}
    assert r.provider_adjustments == []  # the PLB of the held transaction is not emitted
    assert r.warnings == []


def test_nan_amount_holds_the_transaction():
    data = (FIXTURES / "bare_st.835").read_bytes().replace(b"CAS*PR*3*50.00", b"CAS*PR*3*NaN")
    r = parse_835(data)
    assert r.transactions[0]["status"] == "held"
    assert "not a number" in r.transactions[0]["hold_reason"]
    assert r.claims == [] and r.adjustments == []


def test_number_formats():
    data = (
        (FIXTURES / "bare_st.835")
        .read_bytes()
        .replace(b"CLP*ENC-2001*1*150.00*100.00*50.00", b"CLP*ENC-2001*1*150*100.*50")
        .replace(b"CAS*PR*3*50.00~", b"CAS*PR*3*49.5**2*.5*3~")
    )
    r = parse_835(data)
    (c,) = r.claims
    assert (c["charge"], c["paid"], c["patient_responsibility"]) == (D(150), D(100), D(50))
    assert pr(c) == (0, D("0.5"), D("49.5"), 0)
    assert [(a["reason_code"], a["amount"], a["quantity"]) for a in r.adjustments] == [
        ("3", D("49.5"), None),
        ("2", D("0.5"), D("3")),
    ]


def test_wrong_counts_control_numbers_and_unknown_segments_warn():
    r = load("wrong_counts.835")
    assert [t["status"] for t in r.transactions] == ["loaded"]
    assert len(r.claims) == 1 and r.claims[0]["patient_responsibility"] == D("20.00")
    w = "\n".join(r.warnings)
    assert "SE01 segment count '99' != 9" in w
    assert "SE02 control number '2009' != ST02 '2001'" in w
    assert "GE01 count '3' != 1" in w
    assert "IEA01 count '2' != 1" in w
    assert "IEA02 control number '000000999'" in w
    assert "unknown segment id 'ZZZ' (2 occurrence(s))" in w
    assert "unknown segment id 'NTE' (1 occurrence(s))" in w
    assert len(r.warnings) == 7


def test_4010_file_loads_with_a_warning():
    r = load("v4010.835")
    assert r.transactions[0]["status"] == "loaded"
    assert r.transactions[0]["version"] == "004010X091A1"
    assert r.claims[0]["patient_responsibility"] == D("15.00")
    assert r.claims[0]["pr_copay"] == D("15.00")
    assert len(r.warnings) == 1 and "4010" in r.warnings[0]


def test_bad_or_missing_bpr16_uses_gs04():
    r = load("bad_bpr16.835")
    t0, t1 = r.transactions
    assert (t0["payment_date"], t0["payment_date_source"]) == (date(2024, 1, 20), "GS04")
    assert (t1["payment_date"], t1["payment_date_source"]) == (date(2024, 1, 20), "GS04")
    assert t0["payer_id"] == "NAMEONLY PAYER"  # no N104, no REF*2U: the payer name
    assert t1["payment_amount"] == D("0") and t1["credit_debit_flag"] == "C"
    assert [t["status"] for t in r.transactions] == ["loaded", "loaded"]
    assert [c["payment_date"] for c in r.claims] == [date(2024, 1, 20)] * 2
    assert len(r.warnings) == 2
    assert "BPR16 '20241340' is not a valid CCYYMMDD date; GS04 20240120" in r.warnings[0]
    assert "BPR16 is missing; GS04 20240120" in r.warnings[1]


def test_bigger_synthetic_file_sanity():
    """A few thousand claims built in memory: counts and sums hold (no timing here)."""
    segs = [
        "ISA*00*          *00*          *ZZ*S              *ZZ*R              *240101*1200*^*00501*000000009*0*P*:",
        "GS*HP*S*R*20240101*1200*9*X*005010X221A1",
    ]
    n_tx, per_tx = 4, 500
    for t in range(n_tx):
        body = []
        for k in range(per_tx):
            body += [
                f"CLP*E{t}-{k}*1*100.00*80.00*20.00*12*P{t}-{k}",
                "NM1*QC*1*DOE*J****MI*1",
                "SVC*HC:99213*100.00*80.00**1",
                "DTM*472*20231201",
                "CAS*PR*3*20.00",
                "REF*6R*1",
            ]
        tx = [f"ST*835*{t:04d}", f"BPR*I*{80 * per_tx}.00*C*ACH************20240102", "N1*PR*P*XV*P1"] + body
        segs += tx + [f"SE*{len(tx) + 1}*{t:04d}"]
    segs += [f"GE*{n_tx}*9", "IEA*1*000000009"]
    r = parse_835(("~\n".join(segs) + "~\n").encode())
    assert r.warnings == []
    assert len(r.claims) == n_tx * per_tx
    assert len(r.service_lines) == len(r.adjustments) == n_tx * per_tx
    assert sum(c["pr_copay"] for c in r.claims) == D("20.00") * n_tx * per_tx
    assert [c["claim_index"] for c in r.claims] == list(range(n_tx * per_tx))


# ---------------------------------------------------------------------------------------------
# the shared conformance set (../shared/data/x12-835, figures of its README.md)


def shared(name: str) -> Remittance:
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"shared conformance data not present: {path}")
    return parse_835(path.read_bytes())


def sum_clp05(r: Remittance) -> Decimal:
    return sum((c["patient_responsibility"] for c in r.claims), D(0))


def total(r: Remittance, key: str) -> Decimal:
    return sum((c[key] for c in r.claims), D(0))


def test_conformance_lfh_managed_care():
    r = shared("lfh_managed-care.835")
    assert len(r.claims) == 2
    assert sum_clp05(r) == D("900.00")
    assert total(r, "pr_deductible") == D("900.00")
    t = r.transactions[0]
    assert (t["payment_date"], t["payment_date_source"]) == (date(2013, 10, 31), "GS04")
    assert any("'20002316'" in w and "GS04" in w for w in r.warnings)


def test_conformance_lfh_secondary_payment():
    r = shared("lfh_secondary-payment.835")
    assert len(r.claims) == 2
    assert [c["claim_status"] for c in r.claims] == ["2", "2"]
    assert sum_clp05(r) == D("220.00")
    assert total(r, "pr_deductible") == D("150.00")
    assert total(r, "pr_coinsurance") == D("70.00")
    assert r.transactions[0]["payment_date_source"] == "GS04"


@pytest.mark.parametrize(
    "name, status",
    [("lfh_tertiary-payment.835", "3"), ("lfh_cob-contractural-adjustment.835", "2")],
)
def test_conformance_lfh_one_claim_files(name, status):
    r = shared(name)
    assert len(r.claims) == 1
    assert r.claims[0]["claim_status"] == status
    t = r.transactions[0]
    assert t["status"] == "loaded"
    assert (t["payment_date"], t["payment_date_source"]) == (date(2013, 10, 31), "GS04")


def test_conformance_lfh_medicare_part_a_and_demo():
    a = shared("lfh_medicare-part-a.835")
    b = shared("lfh_demo.835")
    assert a == b  # same bytes, same rows
    assert len(a.claims) == 2
    assert sum_clp05(a) == D("0")
    assert a.warnings == []
    assert a.transactions[0]["payer_id"] == "999"  # REF*2U
    assert [(p["reason_code"], p["reference"], p["amount"]) for p in a.provider_adjustments] == [
        ("CV", "CP", D("-1.27"))
    ]


def test_conformance_moov_sample1():
    r = shared("moov_sample1.txt")
    assert len(r.transactions) == 2
    assert [t["status"] for t in r.transactions] == ["loaded", "loaded"]
    assert [t["payment_amount"] for t in r.transactions] == [D("-6173.5"), D("-6173.4")]
    assert len(r.claims) == 2
    assert [c["claim_status"] for c in r.claims] == ["4", "4"]
    assert sum_clp05(r) == D("770.40")
    assert total(r, "pr_other") == D("770.40")
    assert [(p["reason_code"], p["reference"], p["amount"]) for p in r.provider_adjustments] == [
        ("50", "111", D("6173.5")),
        ("50", "111", D("6173.4")),
    ]
    assert r.warnings == []


def test_conformance_moov_sample2():
    r = shared("moov_sample2.txt")
    assert len(r.claims) == 1
    assert r.claims[0]["patient_responsibility"] == D("1201.68")
    t = r.transactions[0]
    assert (t["payment_date"], t["payment_date_source"]) == (date(2022, 8, 5), "GS04")
    assert any("'20990080'" in w for w in r.warnings)


def test_conformance_keiron_blue_cross_nc():
    r = shared("keiron_blue_cross_nc_sample.txt")
    assert len(r.claims) == 1
    c = r.claims[0]
    assert c["patient_responsibility"] == D("142.54")
    assert (c["pr_coinsurance"], c["pr_copay"]) == (D("117.54"), D("25"))
    assert (c["service_date_start"], c["service_date_end"]) == (date(2010, 12, 31),) * 2
    assert len(r.warnings) == 1 and "SE01 segment count '33' != 32" in r.warnings[0]


def test_conformance_keiron_united_healthcare():
    r = shared("keiron_united_healthcare_legacy_sample.txt")
    assert len(r.claims) == 2
    assert sum_clp05(r) == D("220.39")
    assert r.transactions[0]["payer_id"] == "87726"
    assert r.service_lines[0]["procedure"] == "HC:B4152"
    multi = [
        (a["reason_code"], a["amount"], a["quantity"])
        for a in r.adjustments
        if a["group_code"] == "PR" and a["claim_index"] == 1
    ]
    assert multi == [("2", D("5.13"), None), ("1", D("110"), None)]
    c1 = r.claims[1]
    assert (c1["pr_deductible"], c1["pr_coinsurance"]) == (D("110"), D("5.13"))
    assert r.warnings == []


def test_conformance_diasks2_example_6_both_held():
    r = shared("diasks2_example_6.835")
    assert r.claims == [] and r.adjustments == [] and r.service_lines == []
    assert [(t["status"], t["claim_count"]) for t in r.transactions] == [("held", 1), ("held", 1)]
    assert [t["hold_reason"] for t in r.transactions] == [
        "unbalanced: BPR02 0.00 != sum CLP04 150.00 - sum PLB 0.00",
        "unbalanced: BPR02 300.00 != sum CLP04 150.00 - sum PLB 0.00",
    ]


def test_conformance_editools_sample1():
    r = shared("editools_Sample1-unwrapped.edi")
    assert len(r.transactions) == 2
    assert len(r.claims) == 4
    assert sum_clp05(r) == D("30.00")
    assert total(r, "pr_copay") == D("30.00")
    assert len(r.provider_adjustments) == 2
    assert any("GE01 count '10' != 2" in w for w in r.warnings)


@pytest.mark.parametrize(
    "old, new",
    [
        (b"CLP*ENC-2001*1*150.00*100.00*", b"CLP*ENC-2001*1*150.00*NaN*"),
        (b"BPR*I*100.00*", b"BPR*I*Infinity*"),
        (b"CLP*ENC-2001*1*150.00*100.00*", b"CLP*ENC-2001*1*150.00*1E+999999*"),
    ],
)
def test_non_finite_money_in_the_balance_holds_instead_of_quarantining(old, new):
    data = (FIXTURES / "bare_st.835").read_bytes()
    assert old in data
    second = data.replace(b"ST*835*0001", b"ST*835*0002").replace(b"SE*12*0001", b"SE*12*0002")
    r = parse_835(data.replace(old, new) + second)
    assert [t["status"] for t in r.transactions] == ["held", "loaded"]
    assert r.transactions[0]["hold_reason"].startswith(("malformed", "unbalanced"))
    assert [c["transaction_index"] for c in r.claims] == [1]
    assert r.warnings == []


def test_text_before_the_isa_and_isa_inside_values():
    data = (FIXTURES / "clean_two_tx_crlf.835").read_bytes()
    r = parse_835(b"some junk\r\n" + data)
    assert len(r.claims) == 5
    assert r.warnings == ["ignored 9 characters before the first ISA"]
    bare = (FIXTURES / "bare_st.835").read_bytes().replace(b"GAMMA MUTUAL", b"ISA*00*MUTUAL")
    r = parse_835(bare)  # an 'ISA' element value does not start an interchange
    assert r.transactions[0]["payer_name"] == "ISA"
    assert len(r.claims) == 1 and r.warnings == []


# ---------------------------------------------------------------------------------------------
# the loader's fast path: parse_835_rows / parse_835_columns give parse_835's rows

PLAIN = r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"


def assert_rows_match(data: bytes) -> None:
    """parse_835_rows and parse_835_columns hold parse_835's rows, money as plain exact text."""
    rem = parse_835(data)
    rows, warnings, transactions = parse_835_rows(data)
    cols, warnings2, _ = parse_835_columns(data)
    assert warnings == warnings2 == rem.warnings
    assert transactions == rem.transactions
    for table, names in COLUMNS.items():
        dicts = getattr(rem, table)
        assert len(rows[table]) == len(dicts)
        assert {k: list(v) for k, v in cols[table].items()} == {
            k: [r[i] for r in rows[table]] for i, k in enumerate(names)
        }
        for row, d in zip(rows[table], dicts, strict=True):
            for name, value in zip(names, row, strict=True):
                if name in MONEY_COLUMNS[table] and value is not None:
                    assert isinstance(value, str) and re.fullmatch(PLAIN, value), (name, value)
                    assert Decimal(value) == d[name], (name, value, d[name])
                else:
                    assert value == d[name] and type(value) is type(d[name]), (name, value)


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir() if p.name != "cut_short.835"))
def test_rows_and_columns_match_parse_835_on_fixtures(name):
    assert_rows_match((FIXTURES / name).read_bytes())


def test_rows_and_columns_match_parse_835_on_the_shared_set():
    files = sorted(SHARED.glob("*")) if SHARED.is_dir() else []
    if not files:
        pytest.skip("shared conformance data not present")
    for path in files:
        with contextlib.suppress(X12QuarantineError):
            assert_rows_match(path.read_bytes())


@pytest.mark.parametrize(
    "clp, cas, charge, paid, resp, pr, amounts",
    [
        # other number formats: the loader gets plain text of the same value
        (b"CLP*ENC-2001*1*+150*1E2*50.", b"CAS*PR*3*5E1~", "150", "100", "50.", "50", ["50"]),
        (b"CLP*ENC-2001*1* 150.00*1_00.00*50", b"CAS*PR*3*50.00~", "150.00", "100.00", "50", "50.00", ["50.00"]),
        # trailing zeros past the cent change nothing: the value has 2 decimals
        (
            b"CLP*ENC-2001*1*150.000*100.00*50.0000",
            b"CAS*PR*3*50.00000~",
            "150.000",
            "100.00",
            "50.0000",
            "50.00000",
            ["50.00000"],
        ),
    ],
)
def test_money_text_of_unusual_amounts(clp, cas, charge, paid, resp, pr, amounts):
    data = (
        (FIXTURES / "bare_st.835")
        .read_bytes()
        .replace(b"CLP*ENC-2001*1*150.00*100.00*50.00", clp)
        .replace(b"CAS*PR*3*50.00~", cas)
    )
    assert_rows_match(data)
    cols, _, _ = parse_835_columns(data)
    c = cols["claims"]
    assert (c["charge"][0], c["paid"][0], c["patient_responsibility"][0]) == (charge, paid, resp)
    assert c["pr_copay"][0] == pr
    assert list(cols["adjustments"]["amount"]) == amounts


@pytest.mark.parametrize(
    "clp, cas, why",
    [
        # money has at most 2 decimals in an 835 too (docs/landing.md): nothing is rounded
        (b"CLP*ENC-2001*1*150.00*100.00*50.005", b"CAS*PR*3*50.005~", "more than 2 decimals"),
        (b"CLP*ENC-2001*1*150.00*100.00*0.0000002", b"CAS*PR*3*0.0000001**3*0.0000001~", "more than 2 decimals"),
        (
            b"CLP*ENC-2001*1*150.00*100.00*50",
            b"CAS*PR*3*49.999999999999999999999999999**3*0.000000000000000000000000001~",
            "more than 2 decimals",
        ),
        # an amount the warehouse cannot hold: a 20-digit CLP03
        (b"CLP*ENC-2001*1*12345678901234567890*100.00*50.00", b"CAS*PR*3*50.00~", "out of range"),
        (b"CLP*ENC-2001*1*150.00*100.00*50.00", b"CAS*PR*3*50.00*99999999999999999999~", "quantity is out of range"),
    ],
)
def test_amounts_that_break_the_money_rules_hold_their_transaction(clp, cas, why):
    data = (
        (FIXTURES / "bare_st.835")
        .read_bytes()
        .replace(b"CLP*ENC-2001*1*150.00*100.00*50.00", clp)
        .replace(b"CAS*PR*3*50.00~", cas)
    )
    r = parse_835(data)
    assert r.transactions[0]["status"] == "held"
    assert why in r.transactions[0]["hold_reason"]
    assert r.claims == [] and r.adjustments == []
    assert_rows_match(data)


def test_claim_pr_sums_are_exact_across_repeated_reasons():
    data = (FIXTURES / "bare_st.835").read_bytes().replace(b"CAS*PR*3*50.00~", b"CAS*PR*3*20.10**3*19.95**3*9.95~")
    assert_rows_match(data)
    assert parse_835(data).claims[0]["pr_copay"] == D("50.00")


def test_a_file_read_after_others_gives_the_same_rows():
    """Amounts remembered from earlier files change nothing (NaN still holds, sums stay exact)."""
    clean = (FIXTURES / "clean_two_tx_crlf.835").read_bytes()
    first = parse_835(clean)
    nan = (FIXTURES / "bare_st.835").read_bytes().replace(b"CAS*PR*3*50.00", b"CAS*PR*3*NaN")
    assert parse_835(nan).transactions[0]["status"] == "held"
    assert parse_835(clean) == first
    assert_rows_match(clean)
