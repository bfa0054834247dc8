"""What every channel module shares: the hand-off context and the interface.

A channel module (``channels/<name>.py``) has:

* ``NAME``: the channel of ``marts.fct_touch_audience`` (or ``fct_plan_charges``) it serves;
* ``FOLDER``: its folder under ``<outbox>/<date>/``;
* ``CONTACT_WINDOW``: whether it reaches a person at a time (the hand-off checks the contact
  window again on the run's clock before calling it: docs/rules.md §4 "Contact window");
* ``hand_off(touches, ctx) -> list[SendResult]``: hand today's ready touches off (a file for
  the vendor, the gateway, the staff or the processor; a SendGrid request) and say what
  happened to each. It appends the files it wrote to ``ctx.report.files``.

``dispatch.py`` finds them through the registry (``channels/__init__.py``) and keeps the send
ledger protocol around the call; a channel never touches the ledger itself, except the e-mail
sender's ``sending`` mark just before a live request goes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..model import SendResult, Touch


@dataclass
class HandOff:
    """Today's context of one channel's hand-off (built by ``dispatch.dispatch``)."""

    due: list[dict]  # the channel's due rows as read from the warehouse
    clinic: dict  # policy ``clinic`` plus ``final_notice_days``
    policy: Any
    url_for: Callable[[Touch], str]
    warehouse: Path
    outbox: Path
    as_of: date
    now: datetime  # the run's clock, UTC
    day_of: Callable[[Touch, str], date]  # the local day a touch is handed off
    environ: dict | None
    report: Any  # dispatch.ChannelReport: files, mode
    folder: str

    @property
    def day_dir(self) -> Path:
        return self.outbox / self.as_of.isoformat()

    @property
    def out_dir(self) -> Path:
        return self.day_dir / self.folder

    @property
    def window(self) -> tuple[str, str]:
        g = self.policy["guardrails"]
        return g["contact_window_start"], g["contact_window_end"]


def final(results: list[SendResult]) -> list[SendResult]:
    """Hand-off skips (a number that does not normalise, a message that cannot be composed)
    recorded as final failures: the plan chose the touch for the day's slot (dispatch.py)."""
    return [SendResult(r.touch_id, "failed", r.reason) if r.status == "skipped" else r for r in results]


def write_batch(rows: list[dict], write: Callable[[list[dict], Path], Path], ctx: HandOff) -> list[SendResult]:
    """Write the rows as the day's batch file in the channel's folder (nothing when there are no
    rows) and return one ``sent`` result per row, naming the file."""
    if not rows:
        return []
    path = write(rows, ctx.out_dir)
    ctx.report.files.append(str(path))
    return [SendResult(r["touch_id"], "sent", None, f"file:{path.name}") for r in rows]
