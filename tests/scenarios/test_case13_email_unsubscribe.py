"""Case 13 (issue 19 item 3): one-click e-mail opt-out. Every e-mail request that reaches
SendGrid (here the local fake server, the real sendgrid client) carries the policy's
unsubscribe group (``asm.group_id``, policy ``outreach.asm_group_id``) and SendGrid's
unsubscribe link in place of "call us"; a ``group_unsubscribe`` event that comes back stops the
guarantor's next e-mail (held as an e-mail opt-out), while the others still go."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from orchestration.actions.outreach.dispatch import dispatch
from orchestration.actions.outreach.email import ASM_UNSUBSCRIBE_TAG
from orchestration.policy.policy import load_policy
from tests.actions.conftest import API_KEY
from tests.fake_sendgrid import FakeSendGrid
from tests.scenarios.people import HANDOFF, contactable, feed, owes, touches
from tests.warehouse.harness import Landing

D = date(2026, 11, 20)
PEOPLE = ("U_LEAVES", "U_STAYS")


def _day(tmp_path_factory, name: str, *, unsubscribed: bool):
    lz = Landing(tmp_path_factory.mktemp(name))
    for gid in PEOPLE:
        contactable(lz, gid, state="IL", household_id=gid)
        owes(lz, gid, D, 19)  # day 18: the e-mail is due today
    if unsubscribed:  # clicked the link of an earlier e-mail
        at = lz.local(D - timedelta(days=2), 19)
        lz.sendgrid_event(
            "group_unsubscribe",
            touch_id="earlier",
            guarantor_id="U_LEAVES",
            timestamp=int(at.timestamp()),
            asm_group_id=21000,
        )
    feed(lz, D)
    wh = lz.build(D, select=HANDOFF)
    fake = FakeSendGrid().start()
    try:
        environ = {"SENDGRID_API_KEY": API_KEY, "SENDGRID_API_HOST": fake.url, "COLLECTIONS_PAYLINK_SECRET": "ab" * 32}
        policy = load_policy(lz.policy_path())
        report = dispatch(
            "email",
            warehouse=wh.path,
            outbox=lz.root / "outbox",
            policy=policy,
            as_of=D,
            now=lz.local(D, 9),
            environ=environ,
        )
    finally:
        fake.stop()
    guarantors = [p["custom_args"]["guarantor_id"] for r in fake.requests for p in r["body"]["personalizations"]]
    return wh, policy, report, fake.requests, guarantors


@pytest.fixture(scope="module")
def before(tmp_path_factory, dbt_manifest):
    return _day(tmp_path_factory, "subscribed", unsubscribed=False)


@pytest.fixture(scope="module")
def after(tmp_path_factory, dbt_manifest):
    return _day(tmp_path_factory, "unsubscribed", unsubscribed=True)


def test_every_email_carries_the_policy_group_and_its_one_click_link(before):
    _, policy, report, requests, guarantors = before
    assert report.mode == "send:live" and sorted(guarantors) == sorted(PEOPLE)
    for r in requests:
        body = r["body"]
        assert body["asm"] == {"group_id": policy["outreach"]["asm_group_id"]}
        text, html = (c["value"] for c in body["content"])
        assert f"unsubscribe here: {ASM_UNSUBSCRIBE_TAG}" in text and ASM_UNSUBSCRIBE_TAG in html
        assert "call us at" not in text.split("To stop these e-mails")[-1]


def test_a_group_unsubscribe_stops_the_next_email(after):
    wh, _, report, _, guarantors = after
    assert guarantors == ["U_STAYS"] and report.handed_off == 1
    status, reason = touches(wh, "U_LEAVES")["email_context"]
    assert (status, reason) == ("skipped", "email_unsubscribed")  # the channel is blocked
