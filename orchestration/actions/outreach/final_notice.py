"""The 501(r) final-notice letter (docs/rules.md §8, 26 CFR 1.501(r)-6(b)): one page, mailed
through the statement path.

Who gets one and when is a SQL rule (``int_final_notice_candidates``: nonprofit mode, a
guarantor who would otherwise become placeable, at least ``placement.nonprofit_final_notice_days``
before placement). The touch (step ``final_notice``, channel ``mail``) goes through the same
holds, hold report and send ledger as a statement; the mail channel renders it here instead of
a statement (``statements.render_statement`` routes on the step), into the same
``statements/`` folder and print ``manifest.csv``.

Layout (US Letter, same look as the statement, the page parts of ``render.py``):

* header: clinic name, mailing address, notice date (the as-of date);
* recipient block (envelope window);
* **FINAL NOTICE** title and the amount due (the guarantor's balance on the as-of date),
  centred and bold in a box;
* the deadline: ``as_of_date + final_notice_days`` (``clinic["final_notice_days"]``, filled in
  from the policy by the dispatcher), after which the account may be referred to a collection
  agency (the extraordinary collection action the clinic takes);
* financial assistance is available, how to apply or get a free copy of the policy;
* ways to pay (QR code, short URL, phone, mail) and the help box;
* last line: "Call us if this looks wrong."

No clinical detail; the file name is ``<touch_id>.pdf``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date, timedelta

from .model import Touch, long_date, money
from .render import (
    CLOSING_LINE,
    MARGIN,
    PAGE_W,
    draw_help_box,
    draw_letterhead,
    draw_ways_to_pay,
    letter_page,
    pdf_text,
)
from .tokens import short_url

STEP = "final_notice"
TITLE = "FINAL NOTICE"


def deadline(as_of: date, clinic: Mapping) -> date:
    """The date after which the account may be referred to an agency (≥ notice days later)."""
    days = clinic.get("final_notice_days")
    if days is None:
        raise ValueError("clinic['final_notice_days'] is missing (policy placement.nonprofit_final_notice_days)")
    return as_of + timedelta(days=int(days))


def body_lines(touch: Touch | Mapping, clinic: Mapping) -> list[str]:
    """The letter's paragraphs (plain text; tested without a PDF)."""
    t = Touch.coerce(touch)
    name = clinic["name"]
    by = long_date(deadline(t.as_of_date, clinic))
    help_line = clinic.get("help_line", "")
    site = short_url(clinic.get("pay_site", "")) if clinic.get("pay_site") else ""
    return [
        f"Our records show a balance of {money(t.balance)} on your account with {name}. "
        "We have sent you statements and tried to reach you about it.",
        f"If the balance is not paid, or a payment plan or a financial assistance application is "
        f"not started, by {by}, we may refer your account to a collection agency.",
        "Financial assistance is available for eligible patients, and a payment plan can lower "
        f"what you pay each month. To apply, or for a free copy of our financial assistance "
        f"policy and its plain-language summary, call {help_line}" + (f" or visit {site}" if site else "") + ".",
    ]


def render_final_notice_bytes(touch: Touch | Mapping, clinic: Mapping, url: str) -> tuple[bytes, int]:
    """The PDF bytes and the page count (always 1) of one final notice."""
    from reportlab.lib.utils import simpleSplit

    t = Touch.coerce(touch)
    if t.balance is None or t.balance <= 0:
        raise ValueError(f"touch {t.touch_id}: no positive balance to bill")
    paragraphs = body_lines(t, clinic)
    buf = io.BytesIO()
    c = letter_page(buf, "Final notice", clinic)
    right = PAGE_W - MARGIN
    cx = PAGE_W / 2
    draw_letterhead(c, t, clinic, "Notice date")

    # title and amount due, centred and bold
    ax, aw, ah, ay = 126.0, PAGE_W - 252.0, 96.0, 498.0
    c.setLineWidth(2)
    c.rect(ax, ay, aw, ah)
    c.setLineWidth(1)
    c.setFont("Helvetica-Bold", 15)
    c.drawCentredString(cx, ay + ah - 24, TITLE)
    c.setFont("Helvetica-Bold", 26)
    c.drawCentredString(cx, ay + ah - 56, money(t.balance))
    c.setFont("Helvetica-Bold", 12)
    c.drawCentredString(cx, ay + 14, f"Please pay or call us by {long_date(deadline(t.as_of_date, clinic))}")

    # the notice
    ty = ay - 24
    width = right - MARGIN
    for para in paragraphs:
        for part in simpleSplit(pdf_text(para), "Helvetica", 10.5, width):
            c.setFont("Helvetica", 10.5)
            c.drawString(MARGIN, ty, part)
            ty -= 14
        ty -= 6

    # ways to pay, help box and last line
    qy, iy = draw_ways_to_pay(c, url, clinic, ty - 8, qr_size=90.0, qr_gap=12.0, text_gap=26.0)
    hy = min(qy, iy) - 70
    draw_help_box(c, clinic, hy, 52.0)
    c.setFont("Helvetica-Bold", 12)
    c.drawCentredString(cx, hy - 30, CLOSING_LINE)
    pages = c.getPageNumber()
    c.showPage()
    c.save()
    return buf.getvalue(), pages
