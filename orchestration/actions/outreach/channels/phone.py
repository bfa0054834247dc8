"""Channel ``phone``: the day-25 call list for staff; a guarantor with a plan offer
(high_value_engaged) gets the plan opener with its dates (``moves.plan_call_opener``)."""

from __future__ import annotations

from .. import calls, moves, visits
from ..model import SendResult, Touch
from .base import HandOff, final, write_batch

NAME = "phone"
FOLDER = "calls"
CONTACT_WINDOW = True


def hand_off(touches: list[Touch], ctx: HandOff) -> list[SendResult]:
    start, end = ctx.window
    touches = visits.with_visits(touches, ctx.warehouse)  # "why you owe" for the caller
    rows, skipped = calls.build_call_rows(
        touches, ctx.clinic, start=start, end=end, tiers=ctx.policy["tiers"], window_day=ctx.day_of
    )
    with_offer = {t.touch_id: t for t in touches if moves.has_plan_offer(t)}
    for r in rows:
        if r["touch_id"] in with_offer:
            r["opener"] = moves.plan_call_opener(with_offer[r["touch_id"]], r["opener"])
    return write_batch(rows, calls.write_call_list, ctx) + final(skipped)
