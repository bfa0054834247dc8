"""Channel ``email``: the day-18 e-mail (``email.py``) and the move e-mails (``move_email.py``)
through one ``EmailSender`` (live SendGrid, or the outbox). A touch whose contact window is not
open yet is scheduled with SendGrid's ``send_at`` for the window's opening. Every request carries
the policy's SendGrid unsubscribe group (``outreach.asm_group_id``) and its one-click link."""

from __future__ import annotations

from .. import email, ledger, move_email, moves, sms, visits
from ..model import SendResult, Touch
from .base import HandOff, final

NAME = "email"
FOLDER = "email"
CONTACT_WINDOW = True


def hand_off(touches: list[Touch], ctx: HandOff) -> list[SendResult]:
    start, end = ctx.window
    send_at: dict[str, int] = {}
    for t in touches:
        tz = t.timezone or ctx.clinic["timezone"]
        after, _ = sms.send_window(ctx.day_of(t, tz), tz, start, end)  # open today (dispatch)
        if ctx.now < after:  # not open yet: SendGrid holds it until it opens
            send_at[t.touch_id] = int(after.timestamp())
    o = ctx.policy["outreach"]
    cadence = visits.with_visits([t for t in touches if not moves.is_move(t.step)], ctx.warehouse)
    move_touches = [t for t in touches if moves.is_move(t.step)]
    requests, skipped = email.build_requests(
        cadence,
        ctx.clinic,
        ctx.url_for,
        from_email=o["from_email"],
        from_name=o["from_name"],
        asm_group_id=o["asm_group_id"],
        send_at_for=lambda t: send_at.get(t.touch_id),
    )
    move_requests, move_skipped = move_email.build_requests(
        move_touches,
        ctx.clinic,
        ctx.url_for,
        from_email=o["from_email"],
        from_name=o["from_name"],
        reply_to=o["from_email"],
        asm_group_id=o["asm_group_id"],
        send_at_for=lambda t: send_at.get(t.touch_id),
    )
    requests, skipped = requests + move_requests, skipped + move_skipped
    sender = email.EmailSender.from_env(
        outbox_dir=ctx.outbox,
        as_of=ctx.as_of,
        environ=ctx.environ,
        before_send=lambda ids: ledger.mark_sending(ctx.warehouse, ids),
    )
    ctx.report.mode = f"{ctx.report.mode}:{sender.mode}"
    results = sender.send(requests)
    if sender.mode == "live" and results:
        ctx.report.files.append(str(email.write_send_log(results, ctx.day_dir / FOLDER)))
    return final(skipped) + results
