"""The one home of the mailed page: what statements, move letters and the final notice share.

* the page: US Letter, :data:`MARGIN`, a reportlab canvas with the document properties every
  mailed page carries (:func:`letter_page`);
* the letterhead: clinic name and mailing address, the dated line on the right, the recipient
  block in the envelope window (:func:`draw_letterhead`);
* the QR code of the pay URL (:func:`qr_matrix`, :func:`qr_image`) and the "Ways to pay" block
  (:func:`draw_ways_to_pay`);
* the help box (direct line and hours, :func:`draw_help_box`) and the closing line
  (:data:`CLOSING_LINE`);
* text: :func:`pdf_text` makes any text printable with the standard PDF fonts (Windows-1252:
  transliterated, else ``?``).

QR masks: ``qrcode`` evaluates all 8 mask patterns with a pure-Python penalty score (~6 ms, more
than the rest of the page); we fix mask pattern :data:`QR_MASK` (any mask is valid ISO/IEC
18004; scanners read every mask) — ``benchmarks/outreach.py`` has the figures.

reportlab, qrcode and PIL are imported inside the functions that use them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from .model import Touch, long_date
from .tokens import short_url

QR_MASK = 4
CLOSING_LINE = "Call us if this looks wrong."
PAGE_W, PAGE_H = 612.0, 792.0  # US Letter, points
MARGIN = 54.0


def pdf_text(s: object) -> str:
    """Make text printable with the standard PDF fonts (Windows-1252)."""
    out = []
    for ch in str(s or ""):
        try:
            ch.encode("cp1252")
            out.append(ch)
            continue
        except UnicodeEncodeError:
            pass
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        try:
            base.encode("cp1252")
            out.append(base or "?")
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out)


def qr_matrix(url: str, mask_pattern: int | None = QR_MASK) -> list[list[bool]]:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, mask_pattern=mask_pattern)
    qr.add_data(url)
    qr.make(fit=True)
    return qr.get_matrix()


def qr_image(url: str):
    """The QR code of ``url`` as a greyscale PIL image, one pixel per module."""
    from PIL import Image

    m = qr_matrix(url)
    n = len(m)
    return Image.frombytes("L", (n, n), bytes(0 if v else 255 for row in m for v in row))


def letter_page(buf, title: str, clinic: Mapping):
    """A one-page canvas in `buf` with the document properties every mailed page carries."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(buf, pagesize=(PAGE_W, PAGE_H), pageCompression=1)
    c.setTitle(title)
    c.setAuthor(pdf_text(clinic["name"]))
    c.setCreator("patient-collections")
    return c


def draw_letterhead(c, t: Touch, clinic: Mapping, date_label: str) -> None:
    """The clinic's name and mailing address, the dated line on the right, and the recipient
    block in the envelope window: the same on every mailed page (statements, letters, notices)."""
    y = PAGE_H - MARGIN - 4
    c.setFont("Helvetica-Bold", 16)
    c.drawString(MARGIN, y, pdf_text(clinic["name"]))
    c.setFont("Helvetica", 9)
    c.drawString(MARGIN, y - 14, pdf_text(clinic.get("mail_address", "")))
    c.drawRightString(PAGE_W - MARGIN, y, f"{date_label}: {long_date(t.as_of_date)}")
    y0 = PAGE_H - 130
    c.setFont("Helvetica-Bold", 11)
    c.drawString(MARGIN, y0, pdf_text(t.full_name))
    c.setFont("Helvetica", 11)
    yy = y0
    for ln in (
        t.address_line1,
        t.address_line2,
        " ".join(p for p in (f"{t.city}," if t.city else None, t.state, t.postal_code) if p),
    ):
        if ln:
            yy -= 14
            c.drawString(MARGIN, yy, pdf_text(ln))


def draw_ways_to_pay(
    c,
    url: str,
    clinic: Mapping,
    top: float,
    *,
    qr_size: float,
    qr_gap: float,
    text_gap: float,
    online_line: str | None = None,
) -> tuple[float, float]:
    """The "Ways to pay" heading at ``top``, the QR code of ``url`` below it (``qr_gap``) and,
    beside it from ``top - text_gap``: the short URL, ``online_line`` if given, phone and mail.
    Returns (bottom of the QR code, y below the last text line)."""
    from reportlab.lib.utils import ImageReader, simpleSplit

    right = PAGE_W - MARGIN
    c.setFont("Helvetica-Bold", 13)
    c.drawString(MARGIN, top, "Ways to pay")
    qy = top - qr_gap - qr_size
    c.drawImage(ImageReader(qr_image(url)), MARGIN, qy, qr_size, qr_size)
    tx = MARGIN + qr_size + 18
    tw = right - tx
    ty = top - text_gap
    items = [("Scan the code with your phone camera, or go to:", "Helvetica"), (short_url(url), "Helvetica-Bold")]
    if online_line:
        items.append((online_line, "Helvetica"))
    items += [
        (f"By phone: {pdf_text(clinic.get('help_line', ''))}", "Helvetica"),
        (
            f"By mail (check payable to {pdf_text(clinic['name'])}): {pdf_text(clinic.get('mail_address', ''))}",
            "Helvetica",
        ),
    ]
    for text, font in items:
        for part in simpleSplit(pdf_text(text), font, 10, tw):
            c.setFont(font, 10)
            c.drawString(tx, ty, part)
            ty -= 14
        ty -= 3
    return qy, ty


def draw_help_box(
    c, clinic: Mapping, y: float, height: float, *, title_drop: float = 20.0, hours_rise: float = 12.0
) -> None:
    """The rounded help box from ``y`` (bottom) ``height`` high: the direct line and the hours."""
    right = PAGE_W - MARGIN
    c.roundRect(MARGIN, y, right - MARGIN, height, 6)
    c.setFont("Helvetica-Bold", 11)
    c.drawString(
        MARGIN + 12,
        y + height - title_drop,
        f"Questions? Call our billing team directly: {pdf_text(clinic.get('help_line', ''))}",
    )
    c.setFont("Helvetica", 10)
    c.drawString(MARGIN + 12, y + hours_rise, f"Hours: {pdf_text(clinic.get('help_hours', ''))}")
