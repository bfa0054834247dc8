"""Channel ``card``: the card-on-file charges of ``marts.fct_plan_charges`` for the payment
processor, as a CSV (``charges.py``)."""

from __future__ import annotations

from .. import charges
from ..model import SendResult, Touch
from .base import HandOff, write_batch

NAME = "card"
FOLDER = "charges"
CONTACT_WINDOW = False


def hand_off(touches: list[Touch], ctx: HandOff) -> list[SendResult]:
    by_id = {r["touch_id"]: r for r in ctx.due}
    rows, skipped = charges.build_charge_rows([by_id[t.touch_id] for t in touches])
    return write_batch(rows, charges.write_charge_batch, ctx) + skipped
