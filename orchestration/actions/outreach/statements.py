"""One-page patient statements (docs/rules.md §5) as PDFs for the print vendor, with a manifest.

Layout (US Letter, reportlab canvas, standard Helvetica):

* header: clinic name, its mailing address, statement date (the as-of date);
* recipient block (name and postal address, for the envelope window: a mailed statement needs
  them) and, at the top right, the **summary box**: service date, charge, insurance payment,
  your portion;
* **amount due** and **due date**, centred and bold in a box (the guarantor's balance on the
  as-of date; "Due upon receipt" when no due date is given). The ``plan_confirmation`` variant
  prints the plan schedule line (``plan_payments`` x ``plan_amount``, next ``plan_next_due``)
  in place of the box title "Amount due";
* **ways to pay**: a real QR code of the pay URL (``qrcode`` matrix embedded as an image), the
  short URL (no scheme), the help line, and the mailing address for a check;
* **help box**: direct line and hours;
* last line: "Call us if this looks wrong."

No clinical detail (no procedure, diagnosis or provider). File names are ``<touch_id>.pdf`` (no
names). Text outside Windows-1252 (what the standard PDF fonts can show) is transliterated or
replaced by ``?``.

Files and manifest
------------------
Each PDF is written atomically, mode 0600 (fsync'd), by the worker that rendered it.
``manifest.csv`` (touch_id, file, pages, amount_due, sha256) is written last, atomically: it is
the hand-off to the print vendor, so a crash before it leaves only orphan PDFs that no manifest
names (the ledger re-plans them, and a re-render may replace an orphan). A file that left is
never changed: a PDF an existing manifest names is never overwritten (``ValueError``), and a
later batch of the same date (a re-run that finds touches to mail) gets a manifest of its own,
``manifest_0002.csv``, ``manifest_0003.csv``… (:func:`next_manifest`), never rows appended to
one the vendor already took. ``<manifest>.totals.json`` carries the batch's totals
(statements, pages, amount_due_total).

Throughput
----------
``render_batch`` renders in a process pool (default 2 workers, ``forkserver`` context with this
module preloaded, so workers start without re-importing reportlab and without forking a
threaded parent such as a Dagster run). QR masks: ``qrcode`` evaluates all 8 mask patterns
with a pure-Python penalty score (~6 ms, more than the rest of the page); we fix mask pattern
``QR_MASK`` (any mask is valid ISO/IEC 18004; scanners read every mask) — see
``bench.py`` for the figures. Batches below ``min_pool_batch`` render in-process.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import multiprocessing
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterable, Mapping

from ._files import atomic_write
from .model import SendResult, Touch, long_date, money
from .tokens import short_url

QR_MASK = 4
CLOSING_LINE = "Call us if this looks wrong."
MANIFEST_COLUMNS = ("touch_id", "file", "pages", "amount_due", "sha256")
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


def _qr_image(url: str):
    from PIL import Image
    m = qr_matrix(url)
    n = len(m)
    return Image.frombytes("L", (n, n), bytes(0 if v else 255 for row in m for v in row))


def plan_line(t: Touch) -> str:
    if t.plan_payments and t.plan_amount is not None:
        line = f"Your payment plan: {t.plan_payments} payments of {money(t.plan_amount)}"
        if t.plan_next_due:
            line += f", next payment due {long_date(t.plan_next_due)}"
        return line
    if t.plan_next_due:
        return f"Your payment plan is active; next payment due {long_date(t.plan_next_due)}"
    return "Your payment plan is active"


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
    for ln in (t.address_line1, t.address_line2,
               " ".join(p for p in (f"{t.city}," if t.city else None, t.state, t.postal_code) if p)):
        if ln:
            yy -= 14
            c.drawString(MARGIN, yy, pdf_text(ln))


def render_statement_bytes(touch: Touch | Mapping, clinic: Mapping, url: str) -> tuple[bytes, int]:
    """The PDF bytes and the page count (always 1) for one statement."""
    from reportlab.lib.utils import ImageReader, simpleSplit

    t = Touch.coerce(touch)
    if t.balance is None or t.balance <= 0:
        raise ValueError(f"touch {t.touch_id}: no positive balance to bill")
    buf = io.BytesIO()
    c = letter_page(buf, "Statement", clinic)
    right = PAGE_W - MARGIN
    name = pdf_text(clinic["name"])
    help_line = pdf_text(clinic.get("help_line", ""))
    hours = pdf_text(clinic.get("help_hours", ""))
    mail_address = pdf_text(clinic.get("mail_address", ""))
    draw_letterhead(c, t, clinic, "Statement date")

    # summary box (top right)
    bx, bw, bh = 318.0, right - 318.0, 104.0
    by = PAGE_H - 118 - bh
    c.setLineWidth(1)
    c.rect(bx, by, bw, bh)
    c.setFont("Helvetica-Bold", 11)
    c.drawString(bx + 10, by + bh - 18, "Summary")
    rows = (("Service date", long_date(t.visit_date) if t.visit_date else "-"),
            ("Charge", money(t.charge) if t.charge is not None else "-"),
            ("Insurance payment", money(t.insurance_paid) if t.insurance_paid is not None else "-"),
            ("Your portion", money(t.patient_portion) if t.patient_portion is not None else "-"))
    ry = by + bh - 38
    for label, value in rows:
        c.setFont("Helvetica-Bold" if label == "Your portion" else "Helvetica", 10)
        c.drawString(bx + 10, ry, label)
        c.drawRightString(bx + bw - 10, ry, value)
        ry -= 17

    # amount due, centred and bold
    ax, aw, ah = 126.0, PAGE_W - 252.0, 96.0
    ay = 468.0
    c.setLineWidth(2)
    c.rect(ax, ay, aw, ah)
    c.setLineWidth(1)
    cx = PAGE_W / 2
    title = plan_line(t) if t.variant == "plan_confirmation" else "Amount due"
    c.setFont("Helvetica-Bold", 13 if t.variant != "plan_confirmation" else 11)
    c.drawCentredString(cx, ay + ah - 22, pdf_text(title))
    c.setFont("Helvetica-Bold", 26)
    c.drawCentredString(cx, ay + ah - 54, money(t.balance))
    c.setFont("Helvetica-Bold", 13)
    due = f"Please pay by {long_date(t.due_date)}" if t.due_date else "Due upon receipt"
    c.drawCentredString(cx, ay + 14, due)

    # ways to pay
    wy = 436.0
    c.setFont("Helvetica-Bold", 13)
    c.drawString(MARGIN, wy, "Ways to pay")
    qr_size = 108.0
    qy = wy - 14 - qr_size
    c.drawImage(ImageReader(_qr_image(url)), MARGIN, qy, qr_size, qr_size)
    tx = MARGIN + qr_size + 18
    tw = right - tx
    ty = wy - 28
    items = [("Scan the code with your phone camera, or go to:", "Helvetica"),
             (short_url(url), "Helvetica-Bold"),
             ("Pay in full or set up a payment plan online.", "Helvetica"),
             (f"By phone: {help_line}", "Helvetica"),
             (f"By mail (check payable to {name}): {mail_address}", "Helvetica")]
    for text, font in items:
        for part in simpleSplit(pdf_text(text), font, 10, tw):
            c.setFont(font, 10)
            c.drawString(tx, ty, part)
            ty -= 14
        ty -= 3

    # help box
    hy, hh = 236.0, 56.0
    c.roundRect(MARGIN, hy, right - MARGIN, hh, 6)
    c.setFont("Helvetica-Bold", 11)
    c.drawString(MARGIN + 12, hy + hh - 22, f"Questions? Call our billing team directly: {help_line}")
    c.setFont("Helvetica", 10)
    c.drawString(MARGIN + 12, hy + 14, f"Hours: {hours}")

    # last line
    c.setFont("Helvetica-Bold", 12)
    c.drawCentredString(cx, 200, CLOSING_LINE)
    pages = c.getPageNumber()
    c.showPage()
    c.save()
    return buf.getvalue(), pages


def render_statement(touch: Touch | Mapping, clinic: Mapping, url: str, path: str | Path, *,
                     overwrite: bool = False, durable: bool = True) -> dict:
    """Render one statement to ``path`` (atomic, 0600). Returns its manifest row."""
    t = Touch.coerce(touch)
    if t.step == "final_notice":        # the 501(r) final-notice letter goes the statement path
        from .final_notice import render_final_notice_bytes
        data, pages = render_final_notice_bytes(t, clinic, url)
    else:
        data, pages = render_statement_bytes(t, clinic, url)
    p = atomic_write(path, data, overwrite=overwrite, durable=durable)
    return {"touch_id": t.touch_id, "file": p.name, "pages": pages,
            "amount_due": str(t.balance.quantize(Decimal("0.01"))),
            "sha256": hashlib.sha256(data).hexdigest()}


def _render_chunk(args: tuple[list[tuple[Touch, str]], Mapping, str, frozenset]) -> list[dict]:
    items, clinic, out_dir, replaceable = args
    rows = []
    for t, url in items:
        name = f"{t.touch_id}.pdf"
        rows.append(render_statement(t, clinic, url, Path(out_dir) / name,
                                     overwrite=name in replaceable))
    return rows


def manifests(out_dir: str | Path) -> list[Path]:
    """The batch manifests of a folder: manifest.csv, then manifest_0002.csv, … in order."""
    return sorted(Path(out_dir).glob("manifest*.csv"), key=lambda p: (p.name != "manifest.csv", p.name))


def next_manifest(out_dir: str | Path) -> Path:
    """Where the next batch's manifest goes: manifest.csv, else the next manifest_<nnnn>.csv."""
    out = Path(out_dir)
    taken = {p.name for p in manifests(out)}
    if "manifest.csv" not in taken:
        return out / "manifest.csv"
    n = 2
    while f"manifest_{n:04d}.csv" in taken:
        n += 1
    return out / f"manifest_{n:04d}.csv"


def read_manifest(out_dir: str | Path) -> list[dict]:
    """The rows of every manifest of the folder (every statement that left)."""
    rows: list[dict] = []
    for p in manifests(out_dir):
        with p.open(newline="", encoding="utf-8") as fh:
            rows += list(csv.DictReader(fh))
    return rows


def _safe_name(touch_id: str) -> str:
    if not touch_id or "/" in touch_id or "\\" in touch_id or touch_id.startswith("."):
        raise ValueError("touch_id is not usable as a file name")
    return touch_id


def render_batch(touches: Iterable[Touch | Mapping], out_dir: str | Path, *, clinic: Mapping,
                 url_for: Callable[[Touch], str], workers: int = 2, chunk_size: int = 64,
                 min_pool_batch: int = 64, mp_context: str | None = "forkserver") -> dict:
    """Render every statement into ``out_dir`` and write this batch's manifest (module doc).

    Returns ``{"rows": [manifest rows of this batch], "skipped": [SendResult], "statements",
    "pages", "amount_due_total"}``; each manifest row is a hand-off (ledger ``sent``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    items: list[tuple[Touch, str]] = []
    skipped: list[SendResult] = []
    seen: set[str] = set()
    for raw in touches:
        t = Touch.coerce(raw)
        _safe_name(t.touch_id)
        if t.touch_id in seen:
            raise ValueError(f"duplicate touch_id {t.touch_id}")
        seen.add(t.touch_id)
        if t.balance is None or t.balance <= 0:
            skipped.append(SendResult(t.touch_id, "skipped", "cannot compose: no positive balance"))
            continue
        items.append((t, url_for(t)))
    existing = read_manifest(out)
    named = {r["file"] for r in existing}
    clash = [t.touch_id for t, _ in items if f"{t.touch_id}.pdf" in named]
    if clash:
        raise ValueError(f"{len(clash)} statement(s) already named by a manifest of {out} "
                         f"(e.g. touch {clash[0]}); never re-rendered")
    # orphans from an interrupted run (a PDF no manifest names) may be replaced
    replaceable = frozenset(p.name for p in out.glob("*.pdf")) - named
    clinic = dict(clinic)
    chunks = [items[i:i + chunk_size] for i in range(0, len(items), chunk_size)]
    jobs = [(ch, clinic, str(out), replaceable) for ch in chunks]
    if workers <= 1 or len(items) < min_pool_batch:
        parts = [_render_chunk(j) for j in jobs]
    else:
        ctx = multiprocessing.get_context(mp_context) if mp_context else None
        if mp_context == "forkserver":
            ctx.set_forkserver_preload([__name__, "reportlab.pdfgen.canvas", "qrcode", "PIL.Image"])
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            parts = list(pool.map(_render_chunk, jobs))
    rows = [r for part in parts for r in part]
    if rows:
        manifest = next_manifest(out)
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=MANIFEST_COLUMNS, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
        totals = {"statements": len(rows), "pages": sum(int(r["pages"]) for r in rows),
                  "amount_due_total": str(sum((Decimal(r["amount_due"]) for r in rows), Decimal("0.00")))}
        # the totals of a batch whose manifest a crash never wrote may be replaced
        atomic_write(manifest.with_suffix(".totals.json"), json.dumps(totals, indent=2) + "\n", overwrite=True)
        atomic_write(manifest, buf.getvalue())      # last: the hand-off, never overwritten
    return {"rows": rows, "skipped": skipped, "statements": len(rows), "pages": sum(r["pages"] for r in rows),
            "amount_due_total": str(sum((Decimal(r["amount_due"]) for r in rows), Decimal("0.00")))}
