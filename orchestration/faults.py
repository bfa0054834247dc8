"""Fault injection for the reliability tests: real process kills at named points of the daily job.

    COLLECTIONS_CRASH_AT=<point>[:<n>]   e.g. after_ingest, mid_dbt:40, mid_send.email, mid_send:2

``crash_point(name)`` is a no-op unless that variable names the point; then the n-th time the
point is reached (default 1, counted per process) the process sends itself SIGKILL: no
exception, no ``finally``, no atexit — what a power cut, the OOM killer or ``kill -9`` does.
A point named ``a.b`` is also matched by ``a`` (``mid_send`` = any channel's hand-off), and
the count then runs over every matching point.

Points (one line each where they sit):

| point                   | where                                                        |
|-------------------------|--------------------------------------------------------------|
| ``after_ingest``        | quality/ingest_assets.py: raw tables written, checks not yet reported |
| ``mid_dbt``             | orchestration/warehouse/assets.py: after the n-th dbt event of ``dbt build`` |
| ``mid_send.<channel>``  | outreach dispatch: the channel's batch handed off (file written or SendGrid |
|                         | answered), the ledger not yet marked                         |
| ``mid_placement_write`` | placement batch: the temporary file written and fsync'd, not yet renamed |

Unset (production), ``crash_point`` costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TypeVar

ENV = "COLLECTIONS_CRASH_AT"
_hits: Counter[str] = Counter()
T = TypeVar("T")


def parse(spec: str | None) -> tuple[str, int] | None:
    """'<point>[:<n>]' -> (point, n); None when unset or blank. ValueError on a bad spec."""
    spec = (spec or "").strip()
    if not spec:
        return None
    name, _, count = spec.partition(":")
    name = name.strip()
    if not name or any(c.isspace() for c in name):
        raise ValueError(f"{ENV}={spec!r}: expected <point>[:<n>]")
    try:
        n = int(count) if count.strip() else 1
    except ValueError:
        raise ValueError(f"{ENV}={spec!r}: <n> must be a whole number") from None
    if n < 1:
        raise ValueError(f"{ENV}={spec!r}: <n> must be 1 or more")
    return name, n


def matches(target: str, point: str) -> bool:
    return point == target or point.startswith(target + ".")


def crash_point(name: str) -> None:
    """SIGKILL this process when $COLLECTIONS_CRASH_AT names this point and its count is reached."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    parsed = parse(spec)
    if parsed is None or not matches(parsed[0], name):
        return
    _hits[parsed[0]] += 1
    if _hits[parsed[0]] >= parsed[1]:
        sys.stderr.write(f"{ENV}: killing process {os.getpid()} at {name} (hit {_hits[parsed[0]]})\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)


def crash_points(name: str, items: Iterable[T]) -> Iterator[T]:
    """Pass ``items`` through, calling ``crash_point(name)`` after each one is yielded on."""
    for item in items:
        yield item
        crash_point(name)
