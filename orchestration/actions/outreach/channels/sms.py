"""Channel ``sms``: the day-3 texts and the plan reminders (moves), in one gateway CSV."""

from __future__ import annotations

from .. import moves, sms
from ..model import SendResult, Touch
from .base import HandOff, final, write_batch

NAME = "sms"
FOLDER = "sms"
CONTACT_WINDOW = True


def hand_off(touches: list[Touch], ctx: HandOff) -> list[SendResult]:
    start, end = ctx.window
    cadence = [t for t in touches if not moves.is_move(t.step)]
    move_touches = [t for t in touches if moves.is_move(t.step)]
    rows, skipped = sms.build_sms_rows(cadence, ctx.clinic, ctx.url_for, start=start, end=end, window_day=ctx.day_of)
    move_rows, move_skipped = sms.build_sms_rows(
        move_touches, ctx.clinic, ctx.url_for, start=start, end=end, window_day=ctx.day_of, compose=moves.sms_body
    )
    rows, skipped = rows + move_rows, skipped + move_skipped
    return write_batch(rows, sms.write_sms_batch, ctx) + final(skipped)
