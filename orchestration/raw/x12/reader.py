"""The entry points of the 835 reader: bytes of one file -> rows (see ``rows.py`` for shapes).

``parse_835`` (``Remittance``: dicts, Decimal money) for tests and callers; ``parse_835_rows`` /
``parse_835_columns`` (the same rows as tuples / columns, money as exact plain decimal text) for
the loader, which has DuckDB turn that text into DECIMAL.

A file is read once in the fast mode; when it turns out to hold an amount that is not a plain
``[-]digits[.digits]`` number of at most 28 characters (NaN / Infinity, ``1E3``, ``' 5'``...) or
that breaks the money rules (a third decimal, too many digits), it is read a second time in an
exact mode: converters that reject those (the transaction holding one is held, with the reason)
and Decimal arithmetic for every PR sum.  The cyclic garbage collector is paused while the rows
are built (they hold no reference cycles).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from decimal import Decimal

from orchestration.raw.x12.envelope import bare_separators, decode, isa_starts, read_isa, segments
from orchestration.raw.x12.errors import X12QuarantineError
from orchestration.raw.x12.rows import COLUMNS, ROW_TABLES, Remittance, Rows
from orchestration.raw.x12.segments import State, read_segments
from orchestration.raw.x12.values import (
    DecimalOf,
    odd_tokens,
    plain,
    strict_decimal,
    strict_quantity,
)


def parse_835(data: bytes) -> Remittance:
    """Parse one X12 835 file.

    Returns a ``Remittance`` with one ``transactions`` row per ST..SE (loaded or held) and the
    claims, CAS adjustments, service lines and PLB rows of the loaded transactions.  Raises
    ``X12QuarantineError`` when the file as a whole cannot be loaded (unreadable, not an 835,
    cut short).
    """
    rows, state = _parse(data)
    money = DecimalOf(state.money)
    money[None] = None
    out = Remittance(transactions=rows.transactions, warnings=rows.warnings)
    with _gc_paused():
        for attr, _names, _money in ROW_TABLES:
            make = _DICT_MAKERS[attr]
            setattr(out, attr, [make(r, money) for r in getattr(rows, attr)])
    return out


def _dict_maker(names: tuple[str, ...], money: tuple[str, ...]):
    """``make(row, decimal_of) -> dict`` for one table: a dict literal (the fastest way)."""
    items = ", ".join(f"{n!r}: " + (f"m[r[{i}]]" if n in money else f"r[{i}]") for i, n in enumerate(names))
    scope: dict = {}
    exec(f"def make(r, m):\n    return {{{items}}}\n", scope)  # noqa: S102 -- fixed names
    return scope["make"]


_DICT_MAKERS = {attr: _dict_maker(names, money) for attr, names, money in ROW_TABLES}


def parse_835_rows(data: bytes) -> tuple[dict[str, list[tuple]], list[str], list[dict]]:
    """Parse one X12 835 file into row tuples: the fast path of the loader.

    Returns ``(rows, warnings, transactions)``: ``rows`` maps each table of ``COLUMNS``
    ("transactions", "claims", "adjustments", "service_lines", "provider_adjustments") to a
    list of tuples in ``COLUMNS`` order (the same rows, in the same order, as ``parse_835``);
    ``transactions`` is the list of transaction dicts of ``parse_835`` (for the file's
    verdicts).  Money is the exact decimal *text* of the value (``'58.29'``, ``'-5'``, ``'0'``):
    the amount as written when it is a plain ``[-]digits[.digits]`` number, else the same value
    in plain notation; never a float, never rounded here.  Dates are ``datetime.date``.
    Raises ``X12QuarantineError`` like ``parse_835``.
    """
    rows, state = _parse(data)
    tx_names = COLUMNS["transactions"]
    out: dict[str, list[tuple]] = {
        "transactions": [
            tuple(plain(t[k]) if k == "payment_amount" and t[k] is not None else t[k] for k in tx_names)
            for t in rows.transactions
        ]
    }
    odd = {} if state.fast else odd_tokens({**state.money, **state.quantities})  # fast: all plain
    with _gc_paused():
        for attr, names, money in ROW_TABLES:
            table = getattr(rows, attr)
            if table and type(table[0]) is list:  # claims and service lines are built as lists
                table = list(map(tuple, table))
            if odd and table:
                at = [names.index(k) for k in money]
                table = [
                    tuple(odd.get(v, v) if i in at and v is not None else v for i, v in enumerate(row)) for row in table
                ]
            out[attr] = table
    return out, rows.warnings, rows.transactions


def parse_835_columns(data: bytes) -> tuple[dict[str, dict[str, list]], list[str], list[dict]]:
    """``parse_835_rows`` as columns: ``{table: {column name: sequence of values}}``."""
    rows, warnings, transactions = parse_835_rows(data)
    return ({t: _transpose(r, COLUMNS[t]) for t, r in rows.items()}, warnings, transactions)


@contextmanager
def _gc_paused():
    """Pause the cyclic GC: building rows (no reference cycles) makes it rescan them over and
    over for nothing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _transpose(rows: list, names: tuple[str, ...]) -> dict[str, list]:
    if not rows:
        return {n: [] for n in names}
    return dict(zip(names, zip(*rows, strict=False), strict=False))


def _parse(data: bytes) -> tuple[Rows, State]:
    text = decode(data).strip(" \t\r\n\x00\x1a")
    if not text:
        raise X12QuarantineError("unreadable: the file is empty")
    with _gc_paused():
        # The fast pass converts amounts with plain Decimal(), which accepts 'NaN' / 'Infinity',
        # and keeps a claim's first PR amount per slot as its text; when an amount turns out
        # not to be a plain number of at most 28 digits (NaN, '1E3', ' 5'...), the file is read
        # again with a converter that rejects NaN / Infinity (the transaction holding one is then
        # held as malformed) and with Decimal arithmetic for every PR sum.
        state = State(Decimal, Decimal, fast=True)
        try:
            out = _parse_text(text, state)
        except X12QuarantineError:
            if state.all_plain():
                raise
            state = State(strict_decimal, strict_quantity, fast=False)
            out = _parse_text(text, state)
        else:
            if not state.all_plain():
                state = State(strict_decimal, strict_quantity, fast=False)
                out = _parse_text(text, state)
    return out, state


def _parse_text(text: str, state: State) -> Rows:
    out = Rows()
    starts = isa_starts(text)
    if starts:
        lead = text[: starts[0]].strip()
        if lead:
            out.warnings.append(f"ignored {len(lead)} characters before the first ISA")
        bounds = starts + [len(text)]
        for a, b in zip(bounds, bounds[1:], strict=False):
            sep, comp, _rep, term, _els = read_isa(text, a)
            read_segments(segments(text[a:b], term), sep, comp, out, state, envelope=True)
    else:
        sep, term = bare_separators(text)
        read_segments(segments(text, term), sep, ":", out, state, envelope=False)
    if not out.transactions:
        out.warnings.append("the file holds no ST..SE transaction")
    for sid, count in state.unknown.items():
        out.warnings.append(f"unknown segment id {sid!r} ({count} occurrence(s)) ignored")
    return out
