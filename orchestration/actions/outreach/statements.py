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
``manifest_0002.csv``, ``manifest_0003.csv``… (``manifests.next_manifest``), never rows appended to
one the vendor already took. ``<manifest>.totals.json`` carries the batch's totals
(statements, pages, amount_due_total).

Throughput
----------
``render_batch`` renders in a process pool (default 2 workers, ``forkserver`` context with this
module preloaded, so workers start without re-importing reportlab and without forking a
threaded parent such as a Dagster run). The page parts (letterhead, QR code with a fixed mask,
ways to pay, help box) are ``render.py``'s; ``benchmarks/outreach.py`` has the figures.
Batches below ``min_pool_batch`` render in-process.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path

from ..files import atomic_write, safe_name, sync_written
from .final_notice import render_final_notice_bytes
from .manifests import manifests, next_manifest, read_manifest, write_manifest  # noqa: F401 (re-exported)
from .model import SendResult, Touch, long_date, money
from .render import (
    CLOSING_LINE,
    MARGIN,
    PAGE_H,
    PAGE_W,
    draw_help_box,
    draw_letterhead,
    draw_ways_to_pay,
    letter_page,
    pdf_text,
)
from .tokens import short_url
from .visits import ZERO, Summary, Visit, summarize, visits_of, why_you_owe

MANIFEST_COLUMNS = ("touch_id", "file", "pages", "amount_due", "sha256")
MAX_VISIT_LINES = 5  # past them: "N more visits" (the page stays one page)
VISIT_HEADERS = ("Charges", "Insurance paid", "Plan adjustments", "Your portion", "Paid and credits", "Still due")
VISIT_COLUMNS = (175.0, 250.0, 330.0, 400.0, 485.0, PAGE_W - MARGIN)  # right edges


def plan_line(t: Touch) -> str:
    if t.plan_payments and t.plan_amount is not None:
        line = f"Your payment plan: {t.plan_payments} payments of {money(t.plan_amount)}"
        if t.plan_next_due:
            line += f", next payment due {long_date(t.plan_next_due)}"
        return line
    if t.plan_next_due:
        return f"Your payment plan is active; next payment due {long_date(t.plan_next_due)}"
    return "Your payment plan is active"


def summary_rows(s: Summary | None) -> list[tuple[str, str, bool]]:
    """The summary box's rows (label, amount, bold): charges - insurance paid - plan adjustments
    = your portion; your portion - your payments and credits = amount due."""
    if s is None:
        return [("Amount due", "-", True)]
    return [
        ("Charges", money(s.charge), False),
        ("Insurance paid", money(-s.insurance_paid), False),
        ("Plan adjustments", money(-s.plan_adjustments), False),
        ("Your portion", money(s.patient_portion), True),
        ("Your payments and credits", money(-s.payments_credits), False),
        ("Amount due", money(s.amount_due), True),
    ]


def draw_visits(c, t: Touch, clinic: Mapping, top: float) -> None:
    """ "Your visits": one compact line per visit (the first ``MAX_VISIT_LINES``; past them
    "N more visits" and where to see them), a total line, and "Why you owe"."""
    from reportlab.lib.utils import simpleSplit

    vs = visits_of(t)
    if not vs:
        return
    c.setFont("Helvetica-Bold", 8)
    c.drawString(MARGIN, top, "Your visits")
    for head, x in zip(VISIT_HEADERS, VISIT_COLUMNS, strict=False):
        c.drawRightString(x, top, head)
    y = top - 11
    c.setFont("Helvetica", 9)
    for v in vs[:MAX_VISIT_LINES]:
        c.drawString(MARGIN, y, long_date(v.service_date) if v.service_date else "-")
        for value, x in zip(visit_amounts(v), VISIT_COLUMNS, strict=False):
            c.drawRightString(x, y, money(value))
        y -= 11
    if len(vs) > MAX_VISIT_LINES:
        more = len(vs) - MAX_VISIT_LINES
        site = short_url(clinic["pay_site"]) if clinic.get("pay_site") else "our pay site"
        c.drawString(
            MARGIN, y, pdf_text(f"{more} more visit{'s' if more > 1 else ''}: all of them are listed at {site}")
        )
        y -= 11
    c.setFont("Helvetica-Bold", 9)
    c.drawString(MARGIN, y, f"Total, {len(vs)} visit{'s' if len(vs) > 1 else ''}")
    totals = [sum(col, ZERO) for col in zip(*(visit_amounts(v) for v in vs), strict=False)]
    for value, x in zip(totals, VISIT_COLUMNS, strict=False):
        c.drawRightString(x, y, money(value))
    why = why_you_owe(t)
    if why:
        y -= 18
        line = "Why you owe (what your insurance reported): " + "; ".join(
            f"{label} {money(amount)}" for label, amount in why
        )
        c.setFont("Helvetica", 9)
        for part in simpleSplit(pdf_text(line), "Helvetica", 9, PAGE_W - 2 * MARGIN):
            c.drawString(MARGIN, y, part)
            y -= 11


def visit_amounts(v: Visit) -> tuple[Decimal, ...]:
    return (v.charge, v.insurance_paid, v.plan_adjustments, v.patient_portion, v.payments_credits, v.balance)


def render_statement_bytes(touch: Touch | Mapping, clinic: Mapping, url: str) -> tuple[bytes, int]:
    """The PDF bytes and the page count (always 1) for one statement."""
    t = Touch.coerce(touch)
    if t.balance is None or t.balance <= 0:
        raise ValueError(f"touch {t.touch_id}: no positive balance to bill")
    buf = io.BytesIO()
    c = letter_page(buf, "Statement", clinic)
    right = PAGE_W - MARGIN
    draw_letterhead(c, t, clinic, "Statement date")

    # summary box (top right): it reconciles on the page (visits.py)
    summary = summarize(t)
    bx, bw, bh = 318.0, right - 318.0, 112.0
    by = PAGE_H - 96 - bh
    c.setLineWidth(1)
    c.rect(bx, by, bw, bh)
    c.setFont("Helvetica-Bold", 11)
    c.drawString(bx + 10, by + bh - 16, "Summary")
    ry = by + bh - 32
    for label, value, bold in summary_rows(summary):
        c.setFont("Helvetica-Bold" if bold else "Helvetica", 10)
        c.drawString(bx + 10, ry, label)
        c.drawRightString(bx + bw - 10, ry, value)
        ry -= 14

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
    draw_ways_to_pay(
        c,
        url,
        clinic,
        436.0,
        qr_size=108.0,
        qr_gap=14.0,
        text_gap=28.0,
        online_line="Pay in full or set up a payment plan online.",
    )

    # help box
    draw_help_box(c, clinic, 236.0, 56.0, title_drop=22.0, hours_rise=14.0)

    # one compact line per visit, then the last line
    draw_visits(c, t, clinic, 218.0)
    c.setFont("Helvetica-Bold", 12)
    c.drawCentredString(cx, 66, CLOSING_LINE)
    pages = c.getPageNumber()
    c.showPage()
    c.save()
    return buf.getvalue(), pages


def render_statement(
    touch: Touch | Mapping,
    clinic: Mapping,
    url: str,
    path: str | Path,
    *,
    overwrite: bool = False,
    durable: bool = True,
) -> dict:
    """Render one statement to ``path`` (atomic, 0600). Returns its manifest row."""
    t = Touch.coerce(touch)
    if t.step == "final_notice":  # the 501(r) final-notice letter goes the statement path
        data, pages = render_final_notice_bytes(t, clinic, url)
    else:
        data, pages = render_statement_bytes(t, clinic, url)
    p = atomic_write(path, data, overwrite=overwrite, durable=durable)
    return {
        "touch_id": t.touch_id,
        "file": p.name,
        "pages": pages,
        "amount_due": str(t.balance.quantize(Decimal("0.01"))),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def _render_chunk(args: tuple[list[tuple[Touch, str]], Mapping, str, frozenset]) -> list[dict]:
    items, clinic, out_dir, replaceable = args
    rows = []
    for t, url in items:
        name = f"{t.touch_id}.pdf"
        # durable as a batch: render_batch syncs every file once before the manifest
        rows.append(
            render_statement(t, clinic, url, Path(out_dir) / name, overwrite=name in replaceable, durable=False)
        )
    return rows


def render_batch(
    touches: Iterable[Touch | Mapping],
    out_dir: str | Path,
    *,
    clinic: Mapping,
    url_for: Callable[[Touch], str],
    workers: int = 2,
    chunk_size: int = 64,
    min_pool_batch: int = 64,
    mp_context: str | None = "forkserver",
) -> dict:
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
        safe_name(t.touch_id)
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
        raise ValueError(
            f"{len(clash)} statement(s) already named by a manifest of {out} (e.g. touch {clash[0]}); never re-rendered"
        )
    # orphans from an interrupted run (a PDF no manifest names) may be replaced
    replaceable = frozenset(p.name for p in out.glob("*.pdf")) - named
    clinic = dict(clinic)
    chunks = [items[i : i + chunk_size] for i in range(0, len(items), chunk_size)]
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
        sync_written(out / r["file"] for r in rows)  # every PDF on disk before the hand-off names it
        manifest = next_manifest(out)
        totals = {
            "statements": len(rows),
            "pages": sum(int(r["pages"]) for r in rows),
            "amount_due_total": str(sum((Decimal(r["amount_due"]) for r in rows), Decimal("0.00"))),
        }
        # the totals of a batch whose manifest a crash never wrote may be replaced
        atomic_write(manifest.with_suffix(".totals.json"), json.dumps(totals, indent=2) + "\n", overwrite=True)
        write_manifest(manifest, MANIFEST_COLUMNS, rows)  # last: the hand-off, never overwritten
    return {
        "rows": rows,
        "skipped": skipped,
        "statements": len(rows),
        "pages": sum(r["pages"] for r in rows),
        "amount_due_total": str(sum((Decimal(r["amount_due"]) for r in rows), Decimal("0.00"))),
    }
