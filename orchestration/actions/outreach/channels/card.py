"""Channel ``card``: the card-on-file charges of ``marts.fct_plan_charges`` for the payment
processor, as a CSV (``charges.py``)."""

from __future__ import annotations

from .. import charges
from ..model import SendResult, Touch
from .base import HandOff, sent

NAME = "card"
FOLDER = "charges"
CONTACT_WINDOW = False


def hand_off(touches: list[Touch], ctx: HandOff) -> list[SendResult]:
    by_id = {r["touch_id"]: r for r in ctx.due}
    rows, skipped = charges.build_charge_rows([by_id[t.touch_id] for t in touches])
    results: list[SendResult] = []
    if rows:
        path = charges.write_charge_batch(rows, ctx.out_dir)
        ctx.report.files.append(str(path))
        results += sent(rows, path.name)
    return results + skipped
