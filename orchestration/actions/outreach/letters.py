"""One-page letters of the segment moves (issue 9) as PDFs for the print vendor: the plan
offer (when e-mail is not open), hardship application form, decision and review notice, and
the refund confirmation. Wording: ``moves.letter_text`` (templates ``letter_<step>.txt``).

Layout (US Letter, reportlab canvas, standard Helvetica, the page parts of ``render.py``):
clinic name and mailing address, letter date (the as-of date), the recipient block for the
envelope window, the title in bold, the paragraphs, the help box (direct line and hours) and
the closing line "Call us if this looks wrong." A letter that
does not fit one page is a ``ValueError`` (the touch is skipped with the reason).

Files: ``<outbox>/<date>/statements/letters/<touch_id>.pdf`` (atomic, 0600) and a
``manifest.csv`` (touch_id, file, pages, letter, sha256) written last and atomically: the
hand-off, which ``ledger.find_handed_off`` reads like the statements' manifests (it globs
``statements/**/manifest*.csv``); a later batch of the date gets ``manifest_0002.csv``… and a
manifest that left is never changed. A PDF an existing manifest names is never re-rendered.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from ..files import atomic_write, safe_name, sync_written
from .manifests import next_manifest, read_manifest, write_manifest
from .model import SendResult, Touch
from .moves import LETTER_STEPS, letter_text
from .render import CLOSING_LINE, MARGIN, PAGE_H, PAGE_W, draw_help_box, draw_letterhead, letter_page, pdf_text

FOLDER = Path("statements") / "letters"
MANIFEST_COLUMNS = ("touch_id", "file", "pages", "letter", "sha256")
BODY_SIZE = 11
LEADING = 15.0
BOTTOM = 150.0  # the help box and the closing line live below this


def render_letter_bytes(
    touch: Touch | Mapping, clinic: Mapping, url: str | None = None, *, review_notice_days: int | None = None
) -> tuple[bytes, int]:
    """The PDF bytes and page count (always 1) of one move letter."""
    from reportlab.lib.utils import simpleSplit

    t = Touch.coerce(touch)
    title, paragraphs = letter_text(t, clinic, url, review_notice_days=review_notice_days)
    buf = io.BytesIO()
    c = letter_page(buf, "Letter", clinic)
    right = PAGE_W - MARGIN
    draw_letterhead(c, t, clinic, "Date")

    ty = PAGE_H - 230
    c.setFont("Helvetica-Bold", 15)
    c.drawString(MARGIN, ty, pdf_text(title))
    ty -= 28
    width = right - MARGIN
    for para in paragraphs:
        lines = simpleSplit(pdf_text(" ".join(para.split("\n"))), "Helvetica", BODY_SIZE, width)
        if ty - LEADING * len(lines) < BOTTOM:
            raise ValueError(f"touch {t.touch_id}: letter does not fit one page")
        c.setFont("Helvetica", BODY_SIZE)
        for ln in lines:
            c.drawString(MARGIN, ty, ln)
            ty -= LEADING
        ty -= 8

    draw_help_box(c, clinic, 84.0, 50.0)
    c.setFont("Helvetica-Bold", 12)
    c.drawCentredString(PAGE_W / 2, 56, CLOSING_LINE)
    pages = c.getPageNumber()
    c.showPage()
    c.save()
    return buf.getvalue(), pages


def render_batch(
    touches: Iterable[Touch | Mapping],
    out_dir: str | Path,
    *,
    clinic: Mapping,
    url_for: Callable[[Touch], str] | None = None,
    review_notice_days: int | None = None,
) -> dict:
    """Render every letter into ``out_dir`` and write this batch's manifest (``manifest.csv``,
    or the next ``manifest_<nnnn>.csv`` when an earlier batch of the date left: manifests.py).

    Returns ``{"rows": [manifest rows of this batch], "skipped": [SendResult]}``; each row is a
    hand-off (ledger ``sent``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    existing = read_manifest(out)
    named = {r["file"] for r in existing}
    rows: list[dict] = []
    skipped: list[SendResult] = []
    seen: set[str] = set()
    for raw in touches:
        t = Touch.coerce(raw)
        safe_name(t.touch_id)
        if t.touch_id in seen:
            raise ValueError(f"duplicate touch_id {t.touch_id}")
        seen.add(t.touch_id)
        name = f"{t.touch_id}.pdf"
        if name in named:
            raise ValueError(f"letter of touch {t.touch_id} already named by a manifest of {out}; never re-rendered")
        if t.step not in LETTER_STEPS:
            skipped.append(SendResult(t.touch_id, "skipped", f"cannot compose: {t.step} has no letter"))
            continue
        try:
            data, pages = render_letter_bytes(
                t, clinic, url_for(t) if url_for else None, review_notice_days=review_notice_days
            )
        except ValueError as exc:  # names the touch id only
            skipped.append(SendResult(t.touch_id, "skipped", f"cannot compose: {exc}"))
            continue
        # an orphan PDF of an interrupted run (no manifest names it) may be replaced; durable
        # as a batch, before the manifest (sync_written below)
        atomic_write(out / name, data, overwrite=True, durable=False)
        rows.append(
            {
                "touch_id": t.touch_id,
                "file": name,
                "pages": pages,
                "letter": t.step,
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
    if rows:
        sync_written(out / r["file"] for r in rows)
        write_manifest(next_manifest(out), MANIFEST_COLUMNS, rows)  # never overwrites one that left
    return {"rows": rows, "skipped": skipped}
