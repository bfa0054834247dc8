"""Every text template's worst case (issue 19 item 4): GSM-7 always (never UCS-2), and its
segment count. One 160-character segment is not reachable with what a text must carry: the
clinic name, the amount and date, the pay link (the shipped policy's ~46 characters) and the
STOP line already pass 160 without the help line (docs/outputs.md "sms/"), so the texts are two
segments (306 septets), the cap sms.py enforces."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from orchestration.actions.outreach import moves, sms, tokens
from orchestration.actions.outreach.model import Touch
from orchestration.policy.policy import load_policy
from tests.actions.conftest import make_touch


@pytest.fixture(scope="module")
def shipped():
    from pathlib import Path

    path = Path(__file__).parents[2] / "orchestration" / "policy" / "default_policy.yaml"
    clinic = dict(load_policy(path)["clinic"])
    return clinic, tokens.url_maker(clinic["pay_site"], b"k" * 32)


WORST = {  # composer -> the touch with the longest values it prints
    "sms_reminder": (sms.sms_body, dict(step="sms_reminder", balance=D("99999.99"), visit_date=date(2026, 9, 30))),
    "plan_reminder": (
        moves.sms_body,
        dict(step="plan_reminder", balance=D("99999.99"), move_amount=D("9999.99"), move_date=date(2026, 12, 30)),
    ),
}


@pytest.mark.parametrize("name", sorted(WORST))
def test_worst_case_is_gsm7_within_two_segments(name, shipped):
    clinic, url_for = shipped
    compose, over = WORST[name]
    t = Touch.coerce(make_touch(1, channel="sms", **over))
    body = compose(t, clinic, url_for(t))
    assert sms.is_gsm7(body) and sms.segments(body) <= sms.MAX_SEGMENTS
    # why not one segment: the parts every text must carry are already over 160 characters
    must = [clinic["name"], f"{D('99999.99'):,.2f}", "Sep 30, 2026", url_for(t), "Reply STOP to stop texts."]
    assert sum(len(p) for p in must) + 40 > sms.SINGLE_SEGMENT  # +40: the fewest joining words
