"""Channel ``mail``: statements (with their visit lines, ``visits.py``) and final notices
(``statements.py``, ``final_notice.py``) and the move letters (``letters.py``, under
``statements/letters/``), PDFs with their manifests."""

from __future__ import annotations

from .. import letters, moves, statements, visits
from ..model import SendResult, Touch
from .base import HandOff, final

NAME = "mail"
FOLDER = "statements"
CONTACT_WINDOW = False


def hand_off(touches: list[Touch], ctx: HandOff) -> list[SendResult]:
    cadence = [t for t in touches if not moves.is_move(t.step)]
    move_touches = [t for t in touches if moves.is_move(t.step)]
    results: list[SendResult] = []
    if cadence:
        cadence = visits.with_visits(cadence, ctx.warehouse)  # the statement's visit lines
        out_dir = ctx.out_dir
        batch = statements.render_batch(cadence, out_dir, clinic=ctx.clinic, url_for=ctx.url_for)
        ctx.report.files += [str(out_dir / r["file"]) for r in batch["rows"]]
        results += [SendResult(r["touch_id"], "sent", None, f"file:{r['file']}") for r in batch["rows"]]
        results += final(batch["skipped"])
    if move_touches:
        letter_dir = ctx.day_dir / letters.FOLDER
        batch = letters.render_batch(
            move_touches,
            letter_dir,
            clinic=ctx.clinic,
            url_for=ctx.url_for,
            review_notice_days=ctx.policy["hardship"]["review_notice_days"],
        )
        ctx.report.files += [str(letter_dir / r["file"]) for r in batch["rows"]]
        results += [SendResult(r["touch_id"], "sent", None, f"file:letters/{r['file']}") for r in batch["rows"]]
        results += final(batch["skipped"])
    return results
