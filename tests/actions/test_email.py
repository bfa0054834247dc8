"""E-mail: templates, SendGrid request bodies and EmailSender against a local fake SendGrid
(the real sendgrid client pointed at http://127.0.0.1:PORT)."""

from __future__ import annotations

import json
import logging
import os
import stat
from collections import Counter
from datetime import UTC, date

import pytest

from orchestration.actions.outreach import email as em
from orchestration.actions.outreach.tokens import url_maker
from tests.actions.conftest import API_KEY, SECRET, free_port, make_touch

AS_OF = date(2026, 11, 20)
FROM = "billing@riverbend.example"


def _requests(clinic, n, **kw):
    touches = [make_touch(i) for i in range(1, n + 1)]
    reqs, skipped = em.build_requests(touches, clinic, url_maker(clinic["pay_site"], SECRET), from_email=FROM, **kw)
    return touches, reqs, skipped


def _sender(server, sleeper, **kw):
    kw.setdefault("before_send", lambda ids: None)
    return em.EmailSender(API_KEY, host=server.url, sleep=sleeper, clock=lambda: 1_000_000.0, backoff_base=0.5, **kw)


def _accepted_touch_ids(server) -> Counter:
    c = Counter()
    for r in server.requests:
        if r["action"] == "ok":
            c.update(p["custom_args"]["touch_id"] for p in r["body"]["personalizations"])
    return c


def test_substitutions_reproduce_the_rendered_email(clinic):
    t = make_touch(7)
    url = url_maker(clinic["pay_site"], SECRET)(em.Touch.coerce(t))
    _, reqs, _ = _requests(clinic, 7)
    body = reqs[0].body
    pers = body["personalizations"][6]
    assert pers["custom_args"]["touch_id"] == "T000007"
    text = em.apply_substitutions(body["content"][0]["value"], pers["substitutions"])
    html = em.apply_substitutions(body["content"][1]["value"], pers["substitutions"])
    direct = em.render_email(t, clinic, url)
    assert (text, html) == (direct.text, direct.html)
    assert body["content"][0]["type"] == "text/plain" and body["content"][1]["type"] == "text/html"
    assert "$1,241.56" in text and "Insurance paid:         $765.44" in text and url in html
    assert "Sep 28, 2026" in text and "Dec 10, 2026" in text
    assert "unsubscribe" in text.lower() and "unsubscribe" in html.lower()


def test_html_is_escaped(clinic):
    c = dict(clinic, name="Smith & <Jones> Clinic")
    r = em.render_email(make_touch(1), c, "https://pay.riverbend.example/p/abcdefghijklmnopqrst")
    assert "Smith &amp; &lt;Jones&gt; Clinic" in r.html and "<Jones>" not in r.html
    assert "Smith & <Jones> Clinic" in r.text


def test_no_phi_in_metadata_and_request_split(clinic):
    touches, reqs, skipped = _requests(clinic, 2500, asm_group_id=4242)
    assert skipped == []
    assert [len(r.body["personalizations"]) for r in reqs] == [1000, 1000, 500]
    assert [t for r in reqs for t in r.touch_ids] == [t["touch_id"] for t in touches]
    for r in reqs:
        body = r.body
        labels = json.dumps({"subject": body["subject"], "categories": body["categories"]})
        assert body["subject"] == "About your bill from Riverbend Family Medicine"
        assert not any(ch.isdigit() for ch in labels) and "$" not in labels
        assert "Marguerite" not in labels and "Vanderbilt" not in labels
        assert body["asm"] == {"group_id": 4242}
        assert body["tracking_settings"]["click_tracking"]["enable"] is False
        assert set(body["categories"]) == {"collections", "email_context"}
        for p in body["personalizations"]:
            tid = p["custom_args"]["touch_id"]
            assert p["custom_args"] == {"touch_id": tid, "guarantor_id": "G" + tid[1:]}
            assert all(isinstance(v, str) for v in p["custom_args"].values())
            assert p["to"] == [{"email": p["to"][0]["email"]}]  # no display name
        # the whole request never names the guarantor
        assert "Marguerite" not in json.dumps(body) and "Vanderbilt" not in json.dumps(body)
        assert "<%asm_group_unsubscribe_raw_url%>" in body["content"][1]["value"]


def test_shared_address_goes_to_another_request_and_bad_addresses_skip(clinic):
    touches = [
        make_touch(1, email="family@example.com"),
        make_touch(2, email="FAMILY@example.com"),
        make_touch(3),
        make_touch(4, email=None),
        make_touch(5, email="not an address"),
    ]
    reqs, skipped = em.build_requests(touches, clinic, url_maker(clinic["pay_site"], SECRET), from_email=FROM)
    assert [r.touch_ids for r in reqs] == [("T000001", "T000003"), ("T000002",)]
    assert {(s.touch_id, s.status, s.reason) for s in skipped} == {
        ("T000004", "skipped", "no email address"),
        ("T000005", "skipped", "invalid email address"),
    }


def test_live_2500_touches_three_requests(clinic, sendgrid_server, sleeper, caplog):
    caplog.set_level(logging.DEBUG)
    touches, reqs, _ = _requests(clinic, 2500)
    marked: list[list[str]] = []
    sender = _sender(sendgrid_server, sleeper, before_send=marked.append)
    results = sender.send(reqs)
    assert len(sendgrid_server.requests) == 3
    assert [len(r["body"]["personalizations"]) for r in sendgrid_server.requests] == [1000, 1000, 500]
    assert all(r["path"] == "/v3/mail/send" for r in sendgrid_server.requests)
    assert sendgrid_server.requests[0]["headers"]["Authorization"] == f"Bearer {API_KEY}"
    assert [r["body"] for r in sendgrid_server.requests] == [r.body for r in reqs]
    assert [len(m) for m in marked] == [1000, 1000, 500]
    assert Counter(r.status for r in results) == {"sent": 2500}
    assert {r.message_id for r in results} == {"msg0001", "msg0002", "msg0003"}
    assert all(r.sent_at is not None for r in results)
    assert set(_accepted_touch_ids(sendgrid_server).values()) == {1}
    assert sleeper.calls == []
    assert API_KEY not in caplog.text and "Marguerite" not in caplog.text
    assert "patient1@example.com" not in caplog.text


def test_429_waits_until_rate_limit_reset_then_sends_once(clinic, sendgrid_server, sleeper):
    _, reqs, _ = _requests(clinic, 1500)
    sendgrid_server.script = [("ok",), ("429", 1_000_000 + 7), ("ok",)]
    results = _sender(sendgrid_server, sleeper).send(reqs)
    assert [r["action"] for r in sendgrid_server.requests] == ["ok", "429", "ok"]
    assert sleeper.calls == [7.0]
    assert Counter(r.status for r in results) == {"sent": 1500}
    accepted = _accepted_touch_ids(sendgrid_server)
    assert len(accepted) == 1500 and set(accepted.values()) == {1}


def test_429_beyond_the_wait_budget_defers(clinic, sendgrid_server, sleeper):
    _, reqs, _ = _requests(clinic, 3)
    sendgrid_server.script = [("429", 1_000_000 + 3600)]
    results = _sender(sendgrid_server, sleeper, max_total_wait=60).send(reqs)
    assert len(sendgrid_server.requests) == 1 and sleeper.calls == []
    assert {(r.status, r.retryable) for r in results} == {("failed", True)}
    assert "429" in results[0].reason


def test_5xx_retried_with_backoff(clinic, sendgrid_server, sleeper):
    _, reqs, _ = _requests(clinic, 10)
    sendgrid_server.script = [("500",), ("500",), ("500",), ("ok",)]
    results = _sender(sendgrid_server, sleeper).send(reqs)
    assert len(sendgrid_server.requests) == 4
    assert sleeper.calls == [0.5, 1.0, 2.0]
    assert {r.status for r in results} == {"sent"} and results[0].message_id == "msg0004"


def test_5xx_exhausted_is_retryable_failure(clinic, sendgrid_server, sleeper):
    _, reqs, _ = _requests(clinic, 2)
    sendgrid_server.default = ("500",)
    results = _sender(sendgrid_server, sleeper, max_attempts=3).send(reqs)
    assert len(sendgrid_server.requests) == 3 and len(sleeper.calls) == 2
    assert {(r.status, r.retryable) for r in results} == {("failed", True)}


def test_400_fails_the_batch_with_a_reason_without_phi(clinic, sendgrid_server, sleeper):
    _, reqs, _ = _requests(clinic, 1200)
    err = json.dumps(
        {
            "errors": [
                {"field": "personalizations.0.to.0.email", "message": "Invalid address patient1@example.com (12345)"}
            ]
        }
    )
    sendgrid_server.script = [("400", err)]
    results = _sender(sendgrid_server, sleeper).send(reqs)
    assert len(sendgrid_server.requests) == 2  # the second request still goes
    first = [r for r in results if r.touch_id in reqs[0].touch_ids]
    assert len(first) == 1000 and {(r.status, r.retryable) for r in first} == {("failed", False)}
    reason = first[0].reason
    assert reason.startswith("HTTP 400") and "personalizations.0.to.0.email" in reason
    assert "patient1@example.com" not in reason and "12345" not in reason
    assert {r.status for r in results if r.touch_id in reqs[1].touch_ids} == {"sent"}


def test_401_stops_the_run_without_burning_touches(clinic, sendgrid_server, sleeper):
    _, reqs, _ = _requests(clinic, 2500)
    sendgrid_server.script = [("401",)]
    results = _sender(sendgrid_server, sleeper).send(reqs)
    assert len(sendgrid_server.requests) == 1
    assert {(r.status, r.retryable) for r in results} == {("failed", True)}
    assert sum(r.reason.startswith("not attempted") for r in results) == 1500


def test_dropped_connection_is_unknown_and_never_resent(clinic, sendgrid_server, sleeper):
    _, reqs, _ = _requests(clinic, 5)
    sendgrid_server.script = [("drop",)]
    results = _sender(sendgrid_server, sleeper).send(reqs)
    assert len(sendgrid_server.requests) == 1 and sleeper.calls == []
    assert {(r.status, r.reason, r.retryable) for r in results} == {("failed", "unknown delivery state", False)}


def test_connection_refused_is_retried_then_deferred(clinic, sleeper):
    _, reqs, _ = _requests(clinic, 2)
    sender = em.EmailSender(
        API_KEY,
        host=f"http://127.0.0.1:{free_port()}",
        sleep=sleeper,
        backoff_base=0.25,
        max_attempts=3,
        before_send=lambda ids: None,
    )
    results = sender.send(reqs)
    assert sleeper.calls == [0.25, 0.5]
    assert {(r.status, r.retryable) for r in results} == {("failed", True)}


def test_malformed_key_fails_before_any_request(clinic, sendgrid_server, tmp_path):
    for bad in ("not-a-key", "SG.short.key", "sg.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefgh"):
        with pytest.raises(ValueError) as exc:
            em.EmailSender(bad, host=sendgrid_server.url, before_send=lambda ids: None)
        assert bad not in str(exc.value)
        with pytest.raises(ValueError):
            em.EmailSender.from_env(
                outbox_dir=tmp_path,
                as_of=AS_OF,
                environ={"SENDGRID_API_KEY": bad},
                host=sendgrid_server.url,
                before_send=lambda ids: None,
            )
    with pytest.raises(ValueError, match="before_send"):
        em.EmailSender(API_KEY, host=sendgrid_server.url)
    assert sendgrid_server.requests == []
    assert "SG." not in repr(_sender(sendgrid_server, None))


def test_outbox_mode_writes_the_exact_bodies(clinic, tmp_path, sendgrid_server):
    _, reqs, _ = _requests(clinic, 2100)
    sender = em.EmailSender.from_env(outbox_dir=tmp_path, as_of=AS_OF, environ={"SENDGRID_API_KEY": " "})
    assert sender.mode == "outbox"
    results = sender.send(reqs)
    folder = tmp_path / "2026-11-20" / "email"
    files = sorted(folder.iterdir())
    assert [f.name for f in files] == ["request_0001.json", "request_0002.json", "request_0003.json"]
    for f, r in zip(files, reqs, strict=True):
        assert f.read_bytes() == json.dumps(r.body).encode()  # what the client would POST
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert {r.status for r in results} == {"sent"}
    assert results[0].message_id == "outbox:2026-11-20/email/request_0001.json"
    assert results[-1].message_id == "outbox:2026-11-20/email/request_0003.json"
    # a re-run adds files, never overwrites
    sender.send(reqs[:1])
    assert (folder / "request_0004.json").exists()
    assert sendgrid_server.requests == []
    assert not list(folder.glob(".*"))  # no temp files left


def test_send_log(tmp_path):
    from datetime import datetime

    res = [
        em.SendResult("T1", "sent", None, "msg1", datetime(2026, 11, 20, 15, 0, tzinfo=UTC)),
        em.SendResult("T2", "failed", "HTTP 400", None),
    ]
    p = em.write_send_log(res, tmp_path / "send_log_0001.csv")
    assert p.read_text().splitlines() == [
        "touch_id,status,sent_at,message_id,reason",
        "T1,sent,2026-11-20T15:00:00Z,msg1,",
        "T2,failed,,,HTTP 400",
    ]
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
