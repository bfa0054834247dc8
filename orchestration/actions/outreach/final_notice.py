"""The 501(r) final-notice letter (docs/rules.md §8, 26 CFR 1.501(r)-6(b)): one page, mailed
through the statement path.

Who gets one and when is a SQL rule (``int_final_notice_candidates``: nonprofit mode, a
guarantor who would otherwise become placeable, at least ``placement.nonprofit_final_notice_days``
before placement). The touch (step ``final_notice``, channel ``mail``) goes through the same
holds, hold report and send ledger as a statement; the mail channel renders it here instead of
a statement (``statements.render_statement`` routes on the step), into the same
``statements/`` folder and print ``manifest.csv``.

Layout (US Letter, same look as the statement, helpers reused from ``statements``):

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
from datetime import date, timedelta
from typing import Mapping

from .model import Touch, long_date, money
from .statements import CLOSING_LINE, MARGIN, PAGE_W, _qr_image, draw_letterhead, letter_page, pdf_text
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
    from reportlab.lib.utils import ImageReader, simpleSplit

    t = Touch.coerce(touch)
    if t.balance is None or t.balance <= 0:
        raise ValueError(f"touch {t.touch_id}: no positive balance to bill")
    paragraphs = body_lines(t, clinic)
    buf = io.BytesIO()
    c = letter_page(buf, "Final notice", clinic)
    right = PAGE_W - MARGIN
    cx = PAGE_W / 2
    name = pdf_text(clinic["name"])
    help_line = pdf_text(clinic.get("help_line", ""))
    hours = pdf_text(clinic.get("help_hours", ""))
    mail_address = pdf_text(clinic.get("mail_address", ""))
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

    # ways to pay
    wy = ty - 8
    c.setFont("Helvetica-Bold", 13)
    c.drawString(MARGIN, wy, "Ways to pay")
    qr_size = 90.0
    qy = wy - 12 - qr_size
    c.drawImage(ImageReader(_qr_image(url)), MARGIN, qy, qr_size, qr_size)
    tx = MARGIN + qr_size + 18
    tw = right - tx
    iy = wy - 26
    for text, font in (("Scan the code with your phone camera, or go to:", "Helvetica"),
                       (short_url(url), "Helvetica-Bold"),
                       (f"By phone: {help_line}", "Helvetica"),
                       (f"By mail (check payable to {name}): {mail_address}", "Helvetica")):
        for part in simpleSplit(pdf_text(text), font, 10, tw):
            c.setFont(font, 10)
            c.drawString(tx, iy, part)
            iy -= 14
        iy -= 3

    # help box and last line
    hy, hh = min(qy, iy) - 70, 52.0
    c.roundRect(MARGIN, hy, right - MARGIN, hh, 6)
    c.setFont("Helvetica-Bold", 11)
    c.drawString(MARGIN + 12, hy + hh - 20, f"Questions? Call our billing team directly: {help_line}")
    c.setFont("Helvetica", 10)
    c.drawString(MARGIN + 12, hy + 12, f"Hours: {hours}")
    c.setFont("Helvetica-Bold", 12)
    c.drawCentredString(cx, hy - 30, CLOSING_LINE)
    pages = c.getPageNumber()
    c.showPage()
    c.save()
    return buf.getvalue(), pages
