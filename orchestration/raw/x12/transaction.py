"""The rules of one transaction (ST..SE) that its SE applies: payment date and balance.

docs/landing.md, "835 remittances": a transaction whose money does not balance to the cent
(``BPR02 != sum(CLP04) - sum(PLB amounts)``) or that has no BPR is held; a missing or invalid
BPR16 is a warning and the group's GS04 stands in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from orchestration.raw.x12.envelope import Envelope
from orchestration.raw.x12.values import HALF_CENT, Dates, fmt


def payment_date(
    bpr16: str, dates: Dates, env: Envelope, warn: Callable[[str], None], where: str
) -> tuple[date | None, str | None]:
    """(payment date, its source 'BPR16' / 'GS04' / None), warning when BPR16 is not usable."""
    pdate = dates[bpr16] if bpr16 else None
    if pdate is not None:
        return pdate, "BPR16"
    what = f"BPR16 {bpr16!r} is not a valid CCYYMMDD date" if bpr16 else "BPR16 is missing"
    if env.gs04 is not None:
        warn(f"{where}: {what}; GS04 {env.gs04_raw} used as the payment date")
        return env.gs04, "GS04"
    warn(f"{where}: {what} and there is no valid GS04; payment date unknown")
    return None, None


def hold_reason(bpr02: Decimal | None, sum_paid: Decimal, sum_plb: Decimal) -> str | None:
    """Why the transaction's money holds it (no BPR, or BPR02 off by half a cent or more)."""
    if bpr02 is None:
        return "no BPR segment (payment amount unknown)"
    try:
        diff = bpr02 - (sum_paid - sum_plb)
        if diff >= HALF_CENT or -diff >= HALF_CENT:
            return f"unbalanced: BPR02 {fmt(bpr02)} != sum CLP04 {fmt(sum_paid)} - sum PLB {fmt(sum_plb)}"
    except ArithmeticError:  # NaN (fast pass) or out of range
        return "unbalanced: an amount is not a finite number"
    return None
