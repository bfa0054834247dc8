"""SMS body/segments/window/E.164/batch file, call list, pay-link tokens and secret."""

from __future__ import annotations

import csv
import io
import stat
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from orchestration.actions.outreach import calls, sms, tokens
from tests.actions.conftest import SECRET, make_touch

URL = "https://pay.riverbend.example/p/abcdefghijklmnopqrst"


def _utc(*a):
    return datetime(*a, tzinfo=UTC)


# ------------------------------------------------------------------ tokens
def test_pay_token_is_opaque_stable_and_url_safe():
    a = tokens.pay_token("T000001", SECRET)
    assert a == tokens.pay_token("T000001", SECRET) and len(a) == 20 and tokens.is_token(a)
    assert a != tokens.pay_token("T000002", SECRET) and a != tokens.pay_token("T000001", b"x" * 32)
    assert "000001" not in a
    assert tokens.pay_url("https://pay.riverbend.example/", a) == f"https://pay.riverbend.example/p/{a}"
    with pytest.raises(ValueError):
        tokens.pay_url("https://pay.example/?id=1", a)
    with pytest.raises(tokens.PaylinkSecretError):
        tokens.pay_token("T1", b"short")


def test_load_secret_env_and_fallback(tmp_path):
    hexkey = "ab" * 32
    assert tokens.load_secret(environ={"COLLECTIONS_PAYLINK_SECRET": hexkey}) == bytes.fromhex(hexkey)
    import base64

    raw = bytes(range(40))
    assert tokens.load_secret(environ={"COLLECTIONS_PAYLINK_SECRET": base64.b64encode(raw).decode()}) == raw
    assert (
        tokens.load_secret(environ={"COLLECTIONS_PAYLINK_SECRET": base64.urlsafe_b64encode(raw).decode().rstrip("=")})
        == raw
    )
    for bad in ("not*a*secret!", "abcd", "zz" * 8, "ab" * 8):
        with pytest.raises(tokens.PaylinkSecretError) as exc:
            tokens.load_secret(environ={"COLLECTIONS_PAYLINK_SECRET": bad})
        assert bad not in str(exc.value)
    with pytest.raises(tokens.PaylinkSecretError):
        tokens.load_secret(environ={})
    path = tokens.default_secret_path(tmp_path / "warehouse.duckdb")
    assert path.name == "warehouse.duckdb.paylink-secret"
    s1 = tokens.load_secret(path, environ={})
    assert len(s1) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert tokens.load_secret(path, environ={}) == s1  # persisted, stable
    path.write_text("garbage")
    with pytest.raises(tokens.PaylinkSecretError):
        tokens.load_secret(path, environ={})


# ------------------------------------------------------------------ SMS body
def test_sms_body_playbook_gsm7_stop(clinic):
    body = sms.sms_body(make_touch(1, balance=Decimal("85.5")), clinic, URL)
    assert body == (
        "Riverbend Family Medicine: You have a balance of $85.50 from your visit on "
        f"Sep 28, 2026. Pay now or set a plan: {URL} Questions? (555) 010-2400. "
        "Reply STOP to stop texts."
    )
    assert sms.is_gsm7(body) and sms.segments(body) == 2
    assert "Marguerite" not in body and "Vanderbilt" not in body


@pytest.mark.parametrize(
    "name",
    [
        "Clínica Señora “Bien” – Salud & Família 😀 Ünïcode Clinic",
        "The Extraordinarily Long Named Regional Multi-Specialty Family Medicine and Wellness "
        "Center of Greater Springfield and Surrounding Counties",
    ],
)
def test_sms_two_segments_gsm7_for_long_names_and_amounts(clinic, name):
    t = make_touch(1, balance=Decimal("1234567.89"))
    body = sms.sms_body(t, dict(clinic, name=name), URL)
    assert sms.is_gsm7(body), body
    assert sms.segments(body) <= 2 and sms.septets(body) <= 306
    assert "$1,234,567.89" in body and URL in body and body.endswith("Reply STOP to stop texts.")
    assert "Sep 28, 2026" in body


def test_to_gsm7_and_segment_counting():
    assert sms.to_gsm7("Zoë’s “café” — 5€ ✓") == 'Zoe\'s "café" - 5€ ?'
    assert sms.segments("a" * 160) == 1 and sms.segments("a" * 161) == 2
    assert sms.segments("a" * 306) == 2 and sms.segments("a" * 307) == 3
    assert sms.segments("€" * 80) == 1 and sms.segments("€" * 81) == 2  # 2 septets each
    assert sms.segments("€" * 152) == 2 and sms.segments("€" * 153) == 3  # 76 per part: never split
    assert sms.segments("ä" * 160) == 1  # ä is in the GSM basic set
    assert sms.segments("😀" * 10) == 1 and sms.segments("ñ" * 150 + "😀") == 3  # UCS-2


def test_sms_refuses_what_cannot_fit(clinic):
    with pytest.raises(ValueError):
        sms.sms_body(make_touch(1), clinic, "https://pay.example/p/" + "a" * 300)
    with pytest.raises(ValueError):
        sms.sms_body(make_touch(1, balance=Decimal("0")), clinic, URL)


# ------------------------------------------------------------------ window
@pytest.mark.parametrize(
    "tz, day, after, before",
    [
        ("America/New_York", date(2026, 3, 7), _utc(2026, 3, 7, 13), _utc(2026, 3, 8, 2)),  # EST
        ("America/New_York", date(2026, 3, 8), _utc(2026, 3, 8, 12), _utc(2026, 3, 9, 1)),  # EDT from 02:00
        ("America/New_York", date(2026, 10, 31), _utc(2026, 10, 31, 12), _utc(2026, 11, 1, 1)),
        ("America/New_York", date(2026, 11, 1), _utc(2026, 11, 1, 13), _utc(2026, 11, 2, 2)),  # back to EST
        ("America/Phoenix", date(2026, 3, 8), _utc(2026, 3, 8, 15), _utc(2026, 3, 9, 4)),  # no DST
        ("America/Phoenix", date(2026, 7, 1), _utc(2026, 7, 1, 15), _utc(2026, 7, 2, 4)),
        ("America/Phoenix", date(2026, 11, 1), _utc(2026, 11, 1, 15), _utc(2026, 11, 2, 4)),
    ],
)
def test_send_window_is_local_and_dst_correct(tz, day, after, before):
    assert sms.send_window(day, tz) == (after, before)


# ------------------------------------------------------------------ phones
@pytest.mark.parametrize(
    "raw, e164",
    [
        ("(217) 555-0142", "+12175550142"),
        ("217.555.0142", "+12175550142"),
        ("1-217-555-0142", "+12175550142"),
        ("+1 217 555 0142", "+12175550142"),
        ("2175550142", "+12175550142"),
        ("+44 20 7946 0958", "+442079460958"),
        ("217-555-0142 x12", "+12175550142"),
        ("555-0142", None),
        ("117-555-0142", None),
        ("217-055-0142", None),
        ("", None),
        (None, None),
        ("call me", None),
        ("+1 117 555 0142", None),
        ("+0123456789", None),
        ("12345678901234567", None),
    ],
)
def test_normalize_phone(raw, e164):
    assert sms.normalize_phone(raw) == e164


def test_sms_batch_file(clinic, tmp_path):
    touches = [
        make_touch(1, timezone="America/New_York", as_of_date=date(2026, 3, 8)),
        make_touch(2, phone="12", timezone=None, as_of_date=date(2026, 3, 8)),
    ]
    rows, skipped = sms.build_sms_rows(touches, clinic, lambda t: URL)
    assert [(s.touch_id, s.status, s.reason) for s in skipped] == [("T000002", "skipped", "bad number")]
    path = sms.write_sms_batch(rows, tmp_path / "sms" / "sms_0001.csv")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    got = list(csv.DictReader(io.StringIO(path.read_text())))
    assert got == [
        {
            "touch_id": "T000001",
            "phone": "+12175550142",
            "send_after": "2026-03-08T12:00:00Z",
            "send_before": "2026-03-09T01:00:00Z",
            "body": rows[0]["body"],
        }
    ]
    with pytest.raises(FileExistsError):
        sms.write_sms_batch(rows, path)
    with pytest.raises(ValueError, match="T000009"):
        sms.write_sms_batch([dict(rows[0], touch_id="T000009", phone="bad")], tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
    assert [p.name for p in path.parent.iterdir()] == ["sms_0001.csv"]  # no temp left
    assert sms.write_sms_batch(rows, path.parent).name == "sms_0002.csv"  # folder: next number


# ------------------------------------------------------------------ calls
def test_call_list(clinic, tmp_path):
    touches = [
        make_touch(1, step="live_call", channel="phone", balance=Decimal("150")),
        make_touch(2, step="live_call", channel="phone", balance=Decimal("2500"), timezone="America/Phoenix"),
        make_touch(3, step="live_call", channel="phone", phone="none"),
    ]
    rows, skipped = calls.build_call_rows(touches, clinic, tiers={"small_below": 200, "medium_below": 1000})
    assert [s.touch_id for s in skipped] == ["T000003"]
    path = calls.write_call_list(rows, tmp_path / "calls" / "calls_0001.csv")
    got = list(csv.DictReader(io.StringIO(path.read_text())))
    assert list(got[0]) == list(calls.CALL_COLUMNS)
    assert [(r["touch_id"], r["priority"], r["timezone"]) for r in got] == [
        ("T000002", "1", "America/Phoenix"),
        ("T000001", "3", "America/Chicago"),
    ]
    assert got[0]["call_after"] == "2026-11-20T15:00:00Z" and got[0]["call_before"] == "2026-11-21T04:00:00Z"
    assert got[1]["opener"] == (
        "Let's look at this together. Your visit on Sep 28, 2026 shows an amount "
        "after insurance of $150.00. Would you prefer to take care of it now or "
        "set a few smaller dates?"
    )
    assert "Marguerite" not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# ------------------------------------------------------------------ model / skips
def test_touch_coerce_from_a_dataframe_row_and_repr_without_phi():
    import pandas as pd

    from orchestration.actions.outreach.model import Touch

    df = pd.DataFrame(
        [
            make_touch(
                1, balance=12.5, visit_date="2026-09-28", charge=float("nan"), address_line2=None, plan_payments=None
            )
        ]
    )
    t = Touch.coerce(df.iloc[0].to_dict())
    assert t.balance == Decimal("12.5") and t.visit_date == date(2026, 9, 28)
    assert t.charge is None and t.address_line2 is None and t.plan_payments is None
    assert "Marguerite" not in repr(t) and "555" not in repr(t) and "T000001" in repr(t)
    with pytest.raises(ValueError, match="balance"):
        Touch.coerce({k: v for k, v in make_touch(1).items() if k != "balance"})


def test_touches_that_cannot_be_composed_are_skipped_with_reason(clinic):
    from orchestration.actions.outreach import email as em

    bad = make_touch(2, visit_date=None)
    zero = make_touch(3, balance=Decimal("0"))
    rows, skipped = sms.build_sms_rows([make_touch(1), bad, zero], clinic, lambda t: URL)
    assert [r["touch_id"] for r in rows] == ["T000001"]
    assert [(s.touch_id, s.status) for s in skipped] == [("T000002", "skipped"), ("T000003", "skipped")]
    assert skipped[0].reason.startswith("cannot compose") and "Marguerite" not in skipped[0].reason
    rows, skipped = calls.build_call_rows([bad], clinic)
    assert rows == [] and skipped[0].reason.startswith("cannot compose")
    reqs, skipped = em.build_requests(
        [make_touch(1), zero], clinic, lambda t: URL, from_email="billing@riverbend.example"
    )
    assert reqs[0].touch_ids == ("T000001",) and skipped[0].touch_id == "T000003"
