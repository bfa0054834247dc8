"""SendGrid request bodies for the segment-move e-mails (plan offer, plan reminder, dispute
review, refund confirmation), sent by the same ``email.EmailSender`` (outbox or live) as the
day-18 e-mail, so retries, outbox files and the ledger protocol are the cadence's.

One request per touch: a move's body is mostly per recipient (the EOB table, the plan dates),
so there is nothing to share through substitutions, and moves are few per day. The text part
is the template (``moves.email_text``); the HTML part is the same text, HTML-escaped, in a
pre-wrapped block. ``custom_args`` carry only ``touch_id`` and ``guarantor_id``; categories
are ``collections`` and the step; the subject names the clinic only. ``reply_to`` (policy
``outreach.from_email``) makes the dispute review two-way: replies reach the billing mailbox.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping

from .email import EMAIL_ADDRESS, EmailRequest, shared_values
from .model import SendResult, Touch
from .moves import EMAIL_STEPS, email_text


def to_html(text: str) -> str:
    body = html.escape(text, quote=True)
    return (
        '<!doctype html><html><body><div style="font-family:Arial,Helvetica,sans-serif;'
        f'font-size:15px;line-height:1.45;white-space:pre-wrap">{body}</div></body></html>'
    )


def build_requests(
    touches: Iterable[Touch | Mapping],
    clinic: Mapping,
    url_for: Callable[[Touch], str],
    *,
    from_email: str,
    from_name: str | None = None,
    reply_to: str | None = None,
    asm_group_id: int | None = None,
    click_tracking: bool = False,
    send_at_for: Callable[[Touch], int | None] | None = None,
) -> tuple[list[EmailRequest], list[SendResult]]:
    """One ``mail/send`` body per touch, and the touches skipped (no/invalid address, or a
    value the template needs is missing)."""
    from sendgrid.helpers.mail import (
        Asm,
        Category,
        ClickTracking,
        CustomArg,
        From,
        Mail,
        Personalization,
        ReplyTo,
        To,
        TrackingSettings,
    )

    if not EMAIL_ADDRESS.match(from_email or ""):
        raise ValueError("from_email is not a valid address")
    unsubscribe = shared_values(clinic, asm_group_id)["unsubscribe_text"]
    requests: list[EmailRequest] = []
    skipped: list[SendResult] = []
    seen: set[str] = set()
    for raw in touches:
        t = Touch.coerce(raw)
        if t.touch_id in seen:
            raise ValueError(f"duplicate touch_id {t.touch_id}")
        seen.add(t.touch_id)
        addr = (t.email or "").strip()
        if not addr:
            skipped.append(SendResult(t.touch_id, "skipped", "no email address"))
            continue
        if not EMAIL_ADDRESS.match(addr):
            skipped.append(SendResult(t.touch_id, "skipped", "invalid email address"))
            continue
        if t.step not in EMAIL_STEPS:
            skipped.append(SendResult(t.touch_id, "skipped", f"cannot compose: {t.step} has no e-mail"))
            continue
        try:
            subject, text = email_text(t, clinic, url_for(t), unsubscribe)
        except ValueError as exc:
            skipped.append(SendResult(t.touch_id, "skipped", f"cannot compose: {exc}"))
            continue
        mail = Mail(
            from_email=From(from_email, from_name or str(clinic["name"]).strip()),
            subject=subject,
            plain_text_content=text,
            html_content=to_html(text),
        )
        p = Personalization()
        p.add_to(To(addr))
        p.add_custom_arg(CustomArg("touch_id", str(t.touch_id)))
        p.add_custom_arg(CustomArg("guarantor_id", str(t.guarantor_id)))
        send_at = send_at_for(t) if send_at_for else None
        if send_at:
            p.send_at = int(send_at)
        mail.add_personalization(p, index=0)
        for c in ("collections", t.step):
            mail.add_category(Category(c))
        if asm_group_id is not None:
            mail.asm = Asm(int(asm_group_id))
        if reply_to:
            mail.reply_to = ReplyTo(reply_to)
        if not click_tracking:
            mail.tracking_settings = TrackingSettings(click_tracking=ClickTracking(False, False))
        requests.append(EmailRequest(mail.get(), (t.touch_id,)))
    return requests, skipped
