"""Fast, stdlib-only reader for X12 835 remittances (005010X221A1).

``parse_835(data)`` turns the bytes of one ERA file into flat rows (``Remittance``) and
applies the landing rules of docs/landing.md ("835 remittances"):

* **quarantine** (``X12QuarantineError``, the whole file is refused): the file has no ISA and no
  ST segment (unreadable), the ST is not an 835, the ISA header is malformed, or the file is
  cut short (an ST without its SE, a GS without its GE, an ISA without its IEA);
* **hold** (``status='held'`` on the transaction row, none of its claims / adjustments / service
  lines / PLB rows are emitted, the other transactions of the file load): the transaction's money
  does not balance to the cent -- ``BPR02 != sum(CLP04) - sum(PLB amounts)`` -- or it has no BPR,
  or one of its amounts is not a number, has more than 2 decimals (money has at most 2 in an 835
  too: nothing is rounded) or does not fit the warehouse (more than ``MONEY_MAX_DIGITS`` digits
  before the point; a quantity more than 14) -- docs/landing.md, "835 remittances";
* **warning** (the file loads, a string is added to ``Remittance.warnings``): wrong SE01 / GE01 /
  IEA01 counts, mismatched control numbers (ST02/SE02, GS06/GE02, ISA13/IEA02), unknown segment
  ids, the older 4010 version, BPR16 missing or invalid (GS04 stands in), segments found outside
  the place they belong.

Tokenising
----------
Separators are read from the ISA: element separator = the byte after ``ISA``, repetition
separator = ISA11, component separator = ISA16, segment terminator = the character right after
ISA16.  The ISA is walked by its element separator (not by fixed offsets) so that non-fixed-width
ISAs work.  A file may hold several interchanges, each with its own separators.  A file without
an ISA (a bare ``ST*835*...`` ... ``SE`` file, optionally with a GS) takes the element separator
from the character after ``ST`` and the terminator from the first character that ends the ST
segment (``~``, a newline, ...); the component separator then defaults to ``:``.  When the
terminator is not a line break, CR/LF are removed before splitting (so line breaks after the
terminator and files wrapped at a fixed width both work); surrounding whitespace is stripped.
Composite values whose declared component separator is absent but that use ``:`` or ``>`` after
a two-character qualifier (real files do this, e.g. ``HC>55669`` under ``ISA16=':'``) are read
with the separator they actually use.

The reader is a plain ``str.split`` tokenizer with a single dispatch loop; no regular expression
runs per segment and no per-character loop runs over the file.  Segments are dispatched on their
first character and only the segments that are used get split into elements.  Rows are built as
tuples / lists in ``COLUMNS`` order (not dicts) with money kept as the text of the amount; every
amount is still checked with ``Decimal()`` where it is read (memoised per file, because
remittances repeat the same amounts and dates many times; quantities have their own memo), and
the sums (balance, PR) are exact Decimal arithmetic.  A claim's first PR amount per reason slot is
kept as its text (0 + x is x); when a file turns out to hold an amount that is not a plain
``[-]digits[.digits]`` number of at most 28 characters (NaN / Infinity, ``1E3``, ``' 5'``...) or
that breaks the money rules (a third decimal, too many digits), it is read a second time in an
exact mode: converters that reject those (the transaction holding one is held, with the reason)
and Decimal arithmetic for every PR sum.  The cyclic garbage collector is
paused while the rows are built (they hold no reference cycles).

Entry points: ``parse_835`` (the ``Remittance`` below: dicts, Decimal money) for tests and
callers; ``parse_835_rows`` / ``parse_835_columns`` (the same rows as tuples / columns, money as
exact plain decimal text) for the loader, which has DuckDB turn that text into DECIMAL.

Row shapes (dict keys; money is ``decimal.Decimal``, dates are ``datetime.date``):

``transactions``
    transaction_index, st_control_number, payer_id, payer_name, payment_amount (BPR02 as
    written), credit_debit_flag (BPR03), payment_method (BPR04), payment_date,
    payment_date_source ('BPR16' / 'GS04' / None), trace_number (TRN02), payee_id (N1*PE N104),
    claim_count, status ('loaded' / 'held'), hold_reason, version (ST03, else GS08).
``claims`` (loaded transactions only)
    transaction_index, claim_index (0-based position of the CLP in the file, held transactions
    included), patient_control_number (CLP01 trimmed), claim_status (CLP02 as written), charge,
    paid, patient_responsibility (CLP05, 0 when empty), claim_filing_indicator,
    payer_claim_control_number, pr_deductible / pr_coinsurance / pr_copay / pr_other (CAS group
    PR reasons 1 / 2 / 3 / anything else; the claim-level PR CAS when the claim has any,
    otherwise the service-level PR CAS -- never both), service_date_start / service_date_end
    (DTM*232 / DTM*233, else min / max of the service-line DTM*472/150/151 dates), payer_id,
    payment_date.
``adjustments``
    claim_index, level ('claim' / 'service'), service_line_index (None at claim level),
    group_code, reason_code, amount, quantity (one row per CAS triplet).
``service_lines``
    claim_index, service_line_index (0-based within its claim), procedure (SVC01 with the
    component separator shown as ':'), charge (SVC02), paid (SVC03), units (SVC05),
    service_date (DTM*472, else DTM*150).
``provider_adjustments``
    transaction_index, provider_id (PLB01), fiscal_period_date (PLB02), reason_code, reference,
    amount (as written: a positive amount reduces the payment); one row per PLB reason/amount pair.
"""

from __future__ import annotations

import gc
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from operator import itemgetter

from orchestration.landing.contract import MONEY_MAX_DIGITS

__all__ = [
    "COLUMNS", "MONEY_COLUMNS", "X12QuarantineError", "Remittance", "parse_835",
    "parse_835_columns", "parse_835_rows",
]


class X12QuarantineError(Exception):
    """The whole file cannot be loaded; ``str(e)`` is the human reason."""


@dataclass
class Remittance:
    """Everything read from one 835 file (see the module docstring for the row shapes)."""

    transactions: list[dict] = field(default_factory=list)  # one per ST..SE
    claims: list[dict] = field(default_factory=list)  # CLPs of loaded transactions
    adjustments: list[dict] = field(default_factory=list)  # CAS triplets of loaded claims
    service_lines: list[dict] = field(default_factory=list)  # SVCs of loaded claims
    provider_adjustments: list[dict] = field(default_factory=list)  # PLB pairs, loaded tx only
    warnings: list[str] = field(default_factory=list)  # file-level warnings


# Column order of the rows built by the reader (``parse_835_columns`` returns these columns).
COLUMNS: dict[str, tuple[str, ...]] = {
    "transactions": (
        "transaction_index", "st_control_number", "payer_id", "payer_name", "payment_amount",
        "credit_debit_flag", "payment_method", "payment_date", "payment_date_source",
        "trace_number", "payee_id", "claim_count", "status", "hold_reason", "version",
    ),
    "claims": (
        "transaction_index", "claim_index", "patient_control_number", "claim_status", "charge",
        "paid", "patient_responsibility", "claim_filing_indicator", "payer_claim_control_number",
        "pr_deductible", "pr_coinsurance", "pr_copay", "pr_other", "service_date_start",
        "service_date_end", "payer_id", "payment_date",
    ),
    "adjustments": (
        "claim_index", "level", "service_line_index", "group_code", "reason_code", "amount",
        "quantity",
    ),
    "service_lines": (
        "claim_index", "service_line_index", "procedure", "charge", "paid", "units",
        "service_date",
    ),
    "provider_adjustments": (
        "transaction_index", "provider_id", "fiscal_period_date", "reason_code", "reference",
        "amount",
    ),
}
# the money columns of each table
MONEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "transactions": ("payment_amount",),
    "claims": ("charge", "paid", "patient_responsibility", "pr_deductible", "pr_coinsurance",
               "pr_copay", "pr_other"),
    "adjustments": ("amount", "quantity"),
    "service_lines": ("charge", "paid", "units"),
    "provider_adjustments": ("amount",),
}
# (attribute, row layout, money columns) of the tables kept as row lists (not transactions)
_ROW_TABLES = tuple(
    (t, COLUMNS[t], MONEY_COLUMNS[t])
    for t in ("claims", "adjustments", "service_lines", "provider_adjustments")
)


@dataclass
class _Rows:
    """What the dispatch loop builds: ``Remittance`` with rows as sequences in ``COLUMNS`` order
    and money as the text of the amount as written (a key of the file's ``_State.money`` memo),
    except in the four PR sums when more than one amount went into them
    (the sum's exact text, see ``_sum_text``).  Claim and service-line rows are lists (completed
    by later segments), the others tuples."""

    transactions: list[dict] = field(default_factory=list)
    claims: list[list] = field(default_factory=list)
    adjustments: list[tuple] = field(default_factory=list)
    service_lines: list[list] = field(default_factory=list)
    provider_adjustments: list[tuple] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------
# constants and memoised value parsers

_ZERO = Decimal(0)
_HALF_CENT = Decimal("0.005")
_PR_SLOT = {"1": 0, "2": 1, "3": 2}  # PR reason -> deductible / coinsurance / copay; else other

# Segment ids of 005010X221A1 (plus N2 / envelope ids also seen in 4010 files and TA1).
_KNOWN = frozenset(
    "ISA IEA GS GE ST SE TA1 BPR TRN CUR REF DTM N1 N2 N3 N4 PER RDM LX TS3 TS2 CLP CAS NM1 "
    "MIA MOA AMT QTY SVC LQ PLB".split()
)
# Known segments this reader does not need.
_IGNORED = frozenset("NM1 AMT QTY LX MIA MOA TS3 TS2 N2 N3 N4 PER CUR RDM LQ TA1".split())


class _BadNumber(InvalidOperation):
    pass


_MONEY_LIMIT = Decimal(10) ** MONEY_MAX_DIGITS
_QUANTITY_LIMIT = Decimal(10) ** 14          # DECIMAL(18,4) of the raw tables
_CENT = Decimal("0.01")
_MONEY_RANGE = f"an amount is out of range (more than {MONEY_MAX_DIGITS} digits before the decimal point)"
_MONEY_DECIMALS = "an amount has more than 2 decimals (money has at most 2 decimals; nothing is rounded)"


def _strict_decimal(s: str) -> Decimal:
    """Money as the exact mode reads it: Decimal(s) that rejects NaN and Infinity, an amount the
    warehouse cannot hold and a third decimal that is not 0 (storing it would round it)."""
    d = Decimal(s)  # raises InvalidOperation on non-numbers
    if not d.is_finite():
        raise _BadNumber("an amount is not a number (NaN or Infinity)")
    if abs(d) >= _MONEY_LIMIT:
        raise _BadNumber(_MONEY_RANGE)
    if d != d.quantize(_CENT):
        raise _BadNumber(_MONEY_DECIMALS)
    return d


def _strict_quantity(s: str) -> Decimal:
    """A quantity (CAS04, SVC05) as the exact mode reads it: finite and within DECIMAL(18,4)."""
    d = Decimal(s)
    if not d.is_finite():
        raise _BadNumber("a quantity is not a finite number")
    if abs(d) >= _QUANTITY_LIMIT:
        raise _BadNumber("a quantity is out of range (more than 14 digits before the decimal point)")
    return d


# an amount text that may break the money rules: a third decimal or 11+ digits in a row
_SUSPECT_MONEY = re.compile(r"\.[0-9]{3}|[0-9]{%d}" % (MONEY_MAX_DIGITS + 1))


def _money_rules_hold(memo: dict, quantities: dict) -> bool:
    """True when every amount of the memo (all plain numbers, see ``_all_plain``) has at most 2
    decimals that matter and fits the warehouse, and every quantity fits its column."""
    if memo and _SUSPECT_MONEY.search("\n".join(memo)):
        for d in memo.values():
            if abs(d) >= _MONEY_LIMIT or d != d.quantize(_CENT):
                return False
    return all(abs(q) < _QUANTITY_LIMIT for q in quantities.values())


class _Dates(dict):
    """str -> date memo for CCYYMMDD values; anything else maps to None."""

    def __missing__(self, s: str) -> date | None:
        d = None
        t = s.strip()
        if len(t) == 8 and t.isdigit():
            try:
                d = date(int(t[:4]), int(t[4:6]), int(t[6:]))
            except ValueError:
                d = None
        self[s] = d
        return d


def _money(memo: dict, conv, s: str) -> Decimal:
    """Memoised money conversion (the hot paths inline the cache hit)."""
    d = memo.get(s)
    if d is None:
        d = memo[s] = conv(s)
    return d


def _composite(value: str, comp: str) -> tuple[str, str | None]:
    """Split a composite into (code, rest or None), by the declared or else the used separator."""
    if comp in value:
        code, _, rest = value.partition(comp)
        return code, rest
    c = value[2:3]
    if c in (":", ">") and value[:2].isalnum():
        return value[:2], value[3:]
    return value, None


def _fmt(d: Decimal) -> str:
    """Money for a message: two decimals, or scientific notation for absurd magnitudes."""
    return f"{d:.2f}" if d.adjusted() < 20 else f"{d:.3E}"


def _why(exc: Exception) -> str:
    """Short reason for a malformed segment (no element values: they may identify a patient)."""
    if isinstance(exc, _BadNumber):
        return str(exc)
    if isinstance(exc, InvalidOperation):
        return "an amount is not a number"
    if isinstance(exc, ArithmeticError):
        return "an amount is out of range"
    if isinstance(exc, IndexError):
        return "required elements are missing"
    return type(exc).__name__


def _count_ok(value: str, expected: int) -> bool:
    value = value.strip()
    return value.isdigit() and int(value) == expected


def _same_control(a: str, b: str) -> bool:
    a = a.strip()
    b = b.strip()
    if a == b:
        return True
    return a.isdigit() and b.isdigit() and int(a) == int(b)


# ----------------------------------------------------------------------------------------------
# decoding and envelope discovery

_BARE_ST = re.compile(r"(?:^|[^A-Za-z0-9])ST([^A-Za-z0-9\s])835\1")
_ANY_ST = re.compile(r"(?:^|[^A-Za-z0-9])ST([^A-Za-z0-9\s])([A-Za-z0-9]{1,6})\1")


def _decode(data: bytes) -> str:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("parse_835 expects bytes")
    data = bytes(data)
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    elif data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # X12 is ASCII; never fails


def _read_isa(text: str, p: int) -> tuple[str, str, str, str, list[str]]:
    """Read the ISA at ``p``: (element sep, component sep, repetition sep, terminator, elements)."""
    n = len(text)
    sep = text[p + 3] if p + 3 < n else ""
    if not sep or sep.isalnum() or sep.isspace():
        raise X12QuarantineError("malformed ISA segment: no element separator after 'ISA'")
    k = p + 3
    for _ in range(15):  # the 16th separator precedes ISA16
        k = text.find(sep, k + 1)
        if k < 0:
            raise X12QuarantineError("cut short: the ISA segment is incomplete")
    if k + 2 >= n:
        raise X12QuarantineError("cut short: the file ends inside the ISA segment")
    comp = text[k + 1]
    term = text[k + 2]
    if term in "\r\n":
        term = "\n"
    elif term.isalnum() or term == " " or term == sep:
        raise X12QuarantineError(
            f"malformed ISA segment: cannot find the segment terminator after ISA16 {comp!r}"
        )
    els = text[p : k + 2].split(sep)
    return sep, comp, els[11], term, els


def _isa_starts(text: str) -> list[int]:
    """Offsets of the ISA headers that start interchanges (an ``ISA`` at a segment start)."""
    starts: list[int] = []
    pos = 0
    term = None
    n = len(text)
    while True:
        p = text.find("ISA", pos)
        if p < 0:
            return starts
        pos = p + 3
        if p + 3 >= n:
            continue
        c = text[p + 3]
        if c.isalnum() or c.isspace() or text[p + 6 : p + 7] != c:
            continue  # an ISA header starts ISA<sep>NN<sep> (ISA01 is two characters)
        if p > 0 and text[p - 1] not in " \t\r\n":
            last = text[p - 1]
            if last == c or last.isalnum():
                continue  # 'ISA' inside a value: N1*PR*ISA*..., NM1*QC*1*LISA*...
            if term is not None and last != term:
                continue  # not right after the previous interchange's terminator
        starts.append(p)
        try:
            term = _read_isa(text, p)[3]
        except X12QuarantineError:
            term = None


def _bare_separators(text: str) -> tuple[str, str]:
    """(element separator, terminator) of a file without ISA, read from its first ST*835."""
    m = _BARE_ST.search(text)
    if m is None:
        m2 = _ANY_ST.search(text)
        if m2 is not None:
            raise X12QuarantineError(f"not an 835: the transaction set is ST01 {m2.group(2)!r}")
        raise X12QuarantineError("unreadable: no ISA or ST segment found (not an X12 file)")
    sep = m.group(1)
    n = len(text)
    j = m.end()
    while j < n and (text[j].isalnum() or text[j] == " "):
        j += 1  # ST02
    if j < n and text[j] == sep:
        j += 1
        while j < n and text[j].isalnum():
            j += 1  # ST03
    if j >= n:
        raise X12QuarantineError("cut short: the file ends inside the first ST segment")
    term = text[j]
    if term in "\r\n":
        term = "\n"
    return sep, term


_FIRST = itemgetter(0)
_LAST = itemgetter(-1)


def _segments(text: str, term: str) -> list[str]:
    """Split one interchange (or a bare file) into non-empty, whitespace-trimmed segments."""
    if term == "\n":
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
    elif "\n" in text or "\r" in text:
        text = text.replace("\r", "").replace("\n", "")
    segs = text.split(term)
    # Segments are stripped when a space or tab touches a terminator (or starts the text).
    # The space test looks at the first / last character of each piece (cheaper than
    # searching the text for ' ~' and '~ '); an empty piece falls back to the text search.
    if term == "\n" or "\t" in text or text[:1].isspace():
        strip = True
    else:
        try:
            strip = (
                " " in "".join(map(_LAST, segs[:-1]))
                or " " in "".join(map(_FIRST, segs[1:-1]))
                or segs[-1][:1] == " "
            )
        except IndexError:  # an empty piece: ~~
            strip = " " + term in text or term + " " in text
    doubled = len(segs) > 2 and "" in segs[1:-1]  # term + term in text
    if strip:
        segs = [s.strip() for s in segs]
    while segs and not segs[-1]:
        segs.pop()
    if doubled or (segs and not segs[0]):
        segs = [s for s in segs if s]
    return segs


# ----------------------------------------------------------------------------------------------
# the reader


def parse_835(data: bytes) -> Remittance:
    """Parse one X12 835 file.

    Returns a ``Remittance`` with one ``transactions`` row per ST..SE (loaded or held) and the
    claims, CAS adjustments, service lines and PLB rows of the loaded transactions.  Raises
    ``X12QuarantineError`` when the file as a whole cannot be loaded (unreadable, not an 835,
    cut short).
    """
    rows, state = _parse(data)
    money = _DecimalOf(state.money)
    money[None] = None
    out = Remittance(transactions=rows.transactions, warnings=rows.warnings)
    with _gc_paused():
        for attr, _names, _money in _ROW_TABLES:
            make = _DICT_MAKERS[attr]
            setattr(out, attr, [make(r, money) for r in getattr(rows, attr)])
    return out


class _DecimalOf(dict):
    """Amount text -> Decimal: the file's memo; a PR sum's text is converted when first met."""

    def __missing__(self, text: str) -> Decimal:
        d = self[text] = Decimal(text)
        return d


def _dict_maker(names: tuple[str, ...], money: tuple[str, ...]):
    """``make(row, decimal_of) -> dict`` for one table: a dict literal (the fastest way)."""
    items = ", ".join(f"{n!r}: " + (f"m[r[{i}]]" if n in money else f"r[{i}]")
                      for i, n in enumerate(names))
    scope: dict = {}
    exec(f"def make(r, m):\n    return {{{items}}}\n", scope)  # noqa: S102 -- fixed names
    return scope["make"]


_DICT_MAKERS = {attr: _dict_maker(names, money) for attr, names, money in _ROW_TABLES}


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
    out: dict[str, list[tuple]] = {"transactions": [
        tuple(_plain(t[k]) if k == "payment_amount" and t[k] is not None else t[k]
              for k in tx_names)
        for t in rows.transactions]}
    odd = {} if state.fast else _odd_tokens({**state.money, **state.quantities})  # fast: all plain
    with _gc_paused():
        for attr, names, money in _ROW_TABLES:
            table = getattr(rows, attr)
            if table and type(table[0]) is list:  # claims and service lines are built as lists
                table = list(map(tuple, table))
            if odd and table:
                at = [names.index(k) for k in money]
                table = [tuple(odd.get(v, v) if i in at and v is not None else v
                               for i, v in enumerate(row)) for row in table]
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
    return dict(zip(names, zip(*rows)))


def _sum_text(text: str, amt: Decimal) -> str:
    """Text of ``Decimal(text) + amt`` (a PR sum) in plain notation."""
    t = str(Decimal(text) + amt)
    return t if "E" not in t else _plain(Decimal(t))


def _plain(d: Decimal) -> str:
    """Exact text of a finite Decimal without an exponent (DuckDB reads it as Decimal does)."""
    if -40 < d.adjusted() < 40:
        return format(d, "f")
    return str(d)  # absurd magnitudes: left to the database to refuse


_PLAIN_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def _all_plain(memo: dict) -> bool:
    """True when every amount text of the memo is a plain ``[-]digits[.digits]`` number of at
    most 28 characters (Decimal's default precision: adding it to 0 is exact).

    The memo keys all went through ``Decimal()``, so a key made of ASCII digits, '.' and '-'
    only is such a number (and finite); one byte scan answers for the whole file.
    """
    if not memo:
        return True
    try:
        b = "\n".join(memo).encode("ascii")
    except UnicodeEncodeError:
        return False
    return not b.translate(None, b"0123456789.-\n") and max(map(len, memo)) <= 28


def _odd_tokens(memo: dict) -> dict[str, str]:
    """Amount texts that are not plain ``[-]digits[.digits]`` -> the same value in plain text.

    (``Decimal()`` also reads ``' 5'``, ``'+5'``, ``'1E3'``, ``'1_000'``, non-ASCII digits...)
    """
    if _all_plain(memo):
        return {}
    return {t: _plain(d) for t, d in memo.items() if not _PLAIN_NUMBER.fullmatch(t)}


def _parse(data: bytes) -> tuple[_Rows, _State]:
    text = _decode(data).strip(" \t\r\n\x00\x1a")
    if not text:
        raise X12QuarantineError("unreadable: the file is empty")
    with _gc_paused():
        # The fast pass converts amounts with plain Decimal(), which accepts 'NaN' / 'Infinity',
        # and keeps a claim's first PR amount per slot as its text; when an amount turns out
        # not to be a plain number of at most 28 digits (NaN, '1E3', ' 5'...), the file is read
        # again with a converter that rejects NaN / Infinity (the transaction holding one is then
        # held as malformed) and with Decimal arithmetic for every PR sum.
        state = _State(Decimal, Decimal, fast=True)
        try:
            out = _parse_text(text, state)
        except X12QuarantineError:
            if state.all_plain():
                raise
            state = _State(_strict_decimal, _strict_quantity, fast=False)
            out = _parse_text(text, state)
        else:
            if not state.all_plain():
                state = _State(_strict_decimal, _strict_quantity, fast=False)
                out = _parse_text(text, state)
    return out, state


def _parse_text(text: str, state: _State) -> _Rows:
    out = _Rows()
    starts = _isa_starts(text)
    if starts:
        lead = text[: starts[0]].strip()
        if lead:
            out.warnings.append(f"ignored {len(lead)} characters before the first ISA")
        bounds = starts + [len(text)]
        for a, b in zip(bounds, bounds[1:]):
            sep, comp, _rep, term, _els = _read_isa(text, a)
            _read_segments(_segments(text[a:b], term), sep, comp, out, state, envelope=True)
    else:
        sep, term = _bare_separators(text)
        _read_segments(_segments(text, term), sep, ":", out, state, envelope=False)
    if not out.transactions:
        out.warnings.append("the file holds no ST..SE transaction")
    for sid, count in state.unknown.items():
        out.warnings.append(f"unknown segment id {sid!r} ({count} occurrence(s)) ignored")
    return out


class _State:
    """Counters and memos carried across the interchanges of one file."""

    def __init__(self, decimal, quantity, fast: bool) -> None:
        self.decimal = decimal  # str -> Decimal converter of money (plain or strict)
        self.quantity = quantity  # the same for quantities (CAS04, SVC05)
        # fast: the first PR amount of a claim's slot is kept as its text (0 + x is x when x
        # is a plain number of at most 28 digits, which _parse checks afterwards)
        self.fast = fast
        self.tx_index = 0
        self.claim_index = 0
        self.unknown: dict[str, int] = {}
        self.money: dict[str, Decimal] = {}
        self.quantities: dict[str, Decimal] = {}
        self.dates = _Dates()

    def all_plain(self) -> bool:
        """Every amount and quantity read is a plain number and the money rules hold: the fast
        pass's result stands (else the file is read again in the exact mode)."""
        return (_all_plain(self.money) and _all_plain(self.quantities)
                and _money_rules_hold(self.money, self.quantities))


_NOT_DTM = (None, None)


class _DtmMemo(dict):
    """Whole DTM segment -> (qualifier, date or None); ``_NOT_DTM`` for any other segment."""

    def __init__(self, sep: str, dates: _Dates) -> None:
        super().__init__()
        self.sep = sep
        self.dates = dates

    def __missing__(self, s: str):
        e = s.split(self.sep)
        if e[0] != "DTM" or len(e) < 2:
            r = _NOT_DTM
        else:
            r = (e[1], self.dates[e[2]] if len(e) > 2 else None)
        self[s] = r
        return r


def _close_claim(claim: list, cpr: list | None, spr: list | None, dmin, dmax) -> None:
    """Finish a claim row: PR sums (claim level wins over service level) and line-date fallback.

    The CLP branch of ``_read_segments`` inlines the same code for speed.
    """
    src = cpr if cpr is not None else spr
    if src is not None:
        claim[9:13] = src
    if dmin is not None:
        if claim[13] is None:
            claim[13] = dmin
        if claim[14] is None:
            claim[14] = dmax


def _read_segments(
    segs: list[str], sep: str, comp: str, out: _Rows, state: _State, envelope: bool
) -> None:
    """Run the dispatch loop over the segments of one interchange (or of a bare file).

    Hot segments (CAS, DTM, SVC, CLP and the skipped NM1 / REF / AMT) are recognised by their
    first character and handled first; everything else goes through the generic branch at the
    bottom of the loop.  Rows are appended straight to ``out`` and cut back off when the
    transaction turns out to be held.
    """
    warn = out.warnings.append
    dc = state.money
    qc = state.quantities
    dget = dc.get
    D = state.decimal
    Q = state.quantity
    dtc = state.dates
    dtm = _DtmMemo(sep, dtc)
    fast = state.fast
    unknown = state.unknown
    known = _KNOWN
    pr_slot = _PR_SLOT
    zero = _ZERO
    not_dtm = _NOT_DTM
    comp_fix = comp != ":"
    nm1_p = "NM1" + sep
    ref_p = "REF" + sep
    amt_p = "AMT" + sep
    claims_out = out.claims
    adj_out = out.adjustments
    svc_out = out.service_lines
    plb_out = out.provider_adjustments
    add_claim = claims_out.append
    add_adj = adj_out.append
    add_svc = svc_out.append
    add_plb = plb_out.append

    tx_index = state.tx_index
    claim_index = state.claim_index
    old_versions: set[str] = set()

    # envelope state
    in_isa = False
    isa_ctrl = ""
    isa12 = ""
    isa_gs = 0
    in_gs = False
    gs_ctrl = ""
    gs_st = 0
    gs04 = None
    gs04_raw = ""
    gs08 = None

    # transaction state
    in_st = False
    st_i = 0
    st_ctrl = ""
    tx = None
    marks = (0, 0, 0, 0)
    bad = None
    bpr02 = None
    bpr16 = ""
    sum_paid = zero
    sum_plb = zero
    payer_name = None
    payer_n104 = None
    ref_2u = None
    in_header = False
    hdr_payer = None
    hdr_date = None
    hdr_done = False
    n_claims = 0

    # claim state
    claim = None
    ci = 0
    cpr = None
    spr = None
    dmin = dmax = None
    ln = None
    ln_date = None
    sli = 0
    lvl = "claim"
    lix = None

    sid = ""
    for i, s in enumerate(segs):
        try:
            c = s[0]
            # ---------------------------------------------------------------- hot segments
            if c == "C":
                e = s.split(sep)
                sid = e[0]
                if sid == "CAS":
                    if claim is None:
                        if bad is None:  # (a held transaction's broken CLP is reason enough)
                            warn(f"CAS outside a claim ignored (ST {st_ctrl})")
                        continue
                    n = len(e)
                    if n == 4:  # one triplet, no quantity: the common case
                        _, g, rc, v = e
                        amt = dget(v)
                        if amt is None:
                            amt = dc[v] = D(v)
                        if not rc:
                            continue
                        add_adj((ci, lvl, lix, g, rc, v, None))
                        if g == "PR":
                            if ln is None:
                                if cpr is None:
                                    cpr = ["0", "0", "0", "0"]
                                prs = cpr
                            else:
                                if spr is None:
                                    spr = ["0", "0", "0", "0"]
                                prs = spr
                            k = pr_slot.get(rc, 3)
                            cur = prs[k]
                            prs[k] = v if fast and cur == "0" else _sum_text(cur, amt)
                        continue
                    g = e[1]
                    if n < 6:  # one triplet with a quantity (or malformed): as above
                        v = e[3]
                        amt = dget(v)
                        if amt is None:
                            amt = dc[v] = D(v)
                        q = e[4] if n == 5 else ""
                        rc = e[2]
                        if not rc:
                            continue
                        if q:
                            if q not in qc:
                                qc[q] = Q(q)
                        else:
                            q = None
                        add_adj((ci, lvl, lix, g, rc, v, q))
                        if g == "PR":
                            if ln is None:
                                if cpr is None:
                                    cpr = ["0", "0", "0", "0"]
                                prs = cpr
                            else:
                                if spr is None:
                                    spr = ["0", "0", "0", "0"]
                                prs = spr
                            k = pr_slot.get(rc, 3)
                            cur = prs[k]
                            prs[k] = v if fast and cur == "0" else _sum_text(cur, amt)
                        continue
                    for k in range(2, n, 3):
                        rc = e[k]
                        if not rc:
                            continue
                        v = e[k + 1]
                        amt = dget(v)
                        if amt is None:
                            amt = dc[v] = D(v)
                        q = e[k + 2] if k + 2 < n else ""
                        if q:
                            if q not in qc:
                                qc[q] = Q(q)
                        else:
                            q = None
                        add_adj((ci, lvl, lix, g, rc, v, q))
                        if g == "PR":
                            if ln is None:
                                if cpr is None:
                                    cpr = ["0", "0", "0", "0"]
                                prs = cpr
                            else:
                                if spr is None:
                                    spr = ["0", "0", "0", "0"]
                                prs = spr
                            j = pr_slot.get(rc, 3)
                            cur = prs[j]
                            prs[j] = v if fast and cur == "0" else _sum_text(cur, amt)
                    continue
                if sid == "CLP":
                    if not in_st:
                        warn("CLP outside a transaction ignored")
                        continue
                    if claim is not None:  # inlined _close_claim()
                        src = cpr if cpr is not None else spr
                        if src is not None:
                            claim[9:13] = src
                        if dmin is not None:
                            if claim[13] is None:
                                claim[13] = dmin
                            if claim[14] is None:
                                claim[14] = dmax
                    elif not hdr_done:
                        in_header = False
                        hdr_done = True
                        hdr_payer = payer_n104 or ref_2u or payer_name
                        hdr_date = dtc[bpr16] if bpr16 else None
                        if hdr_date is None:
                            hdr_date = gs04
                    if len(e) < 8:
                        e += [""] * (8 - len(e))
                    ci = claim_index
                    claim_index += 1
                    n_claims += 1
                    claim = cpr = spr = dmin = dmax = ln = lix = None
                    sli = 0
                    lvl = "claim"
                    paid = e[4]
                    v = dget(paid)
                    if v is None:
                        v = dc[paid] = D(paid)
                    sum_paid += v
                    charge = e[3]
                    if charge not in dc:
                        dc[charge] = D(charge)
                    resp = e[5]
                    if not resp:
                        resp = "0"
                    elif resp not in dc:
                        dc[resp] = D(resp)
                    # the row layout is CLAIM_COLUMNS
                    claim = [
                        tx_index, ci, e[1].strip(), e[2], charge, paid, resp, e[6] or None,
                        e[7] or None, "0", "0", "0", "0", None, None, hdr_payer, hdr_date,
                    ]
                    add_claim(claim)
                    continue
            elif c == "D":
                r = dtm[s]
                if r is not not_dtm:
                    if ln is not None:
                        q, d = r
                        if d is not None and (q == "472" or q == "150" or q == "151"):
                            if ln_date is None and q != "151":
                                ln_date = ln[6] = d
                            if dmin is None or d < dmin:
                                dmin = d
                            if dmax is None or d > dmax:
                                dmax = d
                    elif claim is not None:
                        q, d = r
                        if q == "232":
                            claim[13] = d
                        elif q == "233":
                            claim[14] = d
                    continue
                e = s.split(sep)
                sid = e[0]
            elif c == "S":
                e = s.split(sep)
                sid = e[0]
                if sid == "SVC":
                    if claim is None:
                        if bad is None:  # (a held transaction's broken CLP is reason enough)
                            warn(f"SVC outside a claim ignored (ST {st_ctrl})")
                        continue
                    n = len(e)
                    proc = e[1]
                    if comp_fix and comp in proc:
                        proc = proc.replace(comp, ":")
                    elif ">" in proc and proc[2:3] == ">" and ":" not in proc:
                        proc = proc.replace(">", ":")
                    v2 = e[2] if n > 2 else ""
                    v3 = e[3] if n > 3 else ""
                    v5 = e[5] if n > 5 else ""
                    if ln is not None:
                        sli += 1
                    ln_date = None
                    lvl = "service"
                    lix = sli
                    if v2:
                        if v2 not in dc:
                            dc[v2] = D(v2)
                    else:
                        v2 = None
                    if v3:
                        if v3 not in dc:
                            dc[v3] = D(v3)
                    else:
                        v3 = None
                    if v5:
                        if v5 not in qc:
                            qc[v5] = Q(v5)
                    else:
                        v5 = None
                    ln = [ci, sli, proc, v2, v3, v5, None]  # SERVICE_LINE_COLUMNS
                    add_svc(ln)
                    continue
            elif c == "N":
                if s.startswith(nm1_p):
                    continue
                e = s.split(sep)
                sid = e[0]
            elif c == "R":
                if not in_header and s.startswith(ref_p):
                    continue
                e = s.split(sep)
                sid = e[0]
            elif c == "A":
                if s.startswith(amt_p):
                    continue
                e = s.split(sep)
                sid = e[0]
            else:
                e = s.split(sep)
                sid = e[0]

            # -------------------------------------------------------------- other segments
            if sid == "REF":
                if in_header and ref_2u is None and len(e) > 2 and e[1] == "2U":
                    ref_2u = e[2] or None
            elif sid in _IGNORED:
                pass
            elif sid == "N1":
                if in_st and len(e) > 1:
                    if e[1] == "PR":
                        payer_name = e[2] if len(e) > 2 and e[2] else None
                        payer_n104 = e[4] if len(e) > 4 and e[4] else None
                    elif e[1] == "PE":
                        tx["payee_id"] = e[4] if len(e) > 4 and e[4] else None
            elif sid == "PLB":
                if not in_st:
                    warn("PLB outside a transaction ignored")
                    continue
                in_header = False
                if claim is not None:
                    _close_claim(claim, cpr, spr, dmin, dmax)
                    claim = ln = None
                n = len(e)
                prov = e[1] if n > 1 else ""
                fdate = dtc[e[2]] if n > 2 and e[2] else None
                for k in range(3, n, 2):
                    rv = e[k]
                    if not rv:
                        continue
                    v = e[k + 1]
                    amt = _money(dc, D, v)
                    sum_plb += amt
                    code, ref = _composite(rv, comp)
                    add_plb((tx_index, prov, fdate, code, ref or None, v))
            elif sid == "BPR":
                if not in_st:
                    warn("BPR outside a transaction ignored")
                    continue
                if len(e) < 17:
                    e += [""] * (17 - len(e))
                bpr16 = e[16]
                tx["credit_debit_flag"] = e[3] or None
                tx["payment_method"] = e[4] or None
                bpr02 = tx["payment_amount"] = _money(dc, D, e[2])
            elif sid == "TRN":
                if in_st and tx["trace_number"] is None and len(e) > 2:
                    tx["trace_number"] = e[2] or None
            elif sid == "ST":
                if in_st:
                    raise X12QuarantineError(
                        f"cut short: transaction ST {st_ctrl} has no SE before the next ST"
                    )
                if len(e) < 4:
                    e += [""] * (4 - len(e))
                if e[1] != "835":
                    raise X12QuarantineError(f"not an 835: the transaction set is ST01 {e[1]!r}")
                if envelope and not in_gs:
                    warn(f"transaction ST {e[2]} is not inside a GS..GE group")
                in_st = in_header = True
                hdr_done = False
                st_i = i
                st_ctrl = e[2]
                gs_st += 1
                marks = (len(claims_out), len(adj_out), len(svc_out), len(plb_out))
                bad = bpr02 = claim = ln = hdr_payer = hdr_date = None
                bpr16 = ""
                n_claims = 0
                sum_paid = sum_plb = zero
                payer_name = payer_n104 = ref_2u = None
                tx = {
                    "transaction_index": tx_index,
                    "st_control_number": st_ctrl,
                    "payer_id": None,
                    "payer_name": None,
                    "payment_amount": None,
                    "credit_debit_flag": None,
                    "payment_method": None,
                    "payment_date": None,
                    "payment_date_source": None,
                    "trace_number": None,
                    "payee_id": None,
                    "claim_count": 0,
                    "status": None,
                    "hold_reason": None,
                    "version": e[3] or gs08,
                }
            elif sid == "SE":
                if not in_st:
                    warn("SE without a matching ST ignored")
                    continue
                if claim is not None:
                    _close_claim(claim, cpr, spr, dmin, dmax)
                if len(e) < 3:
                    e += [""] * (3 - len(e))
                where = f"transaction {tx_index} (ST {st_ctrl})"
                count = i - st_i + 1
                if not _count_ok(e[1], count):
                    warn(f"{where}: SE01 segment count {e[1]!r} != {count} segments ST..SE")
                if not _same_control(e[2], st_ctrl):
                    warn(f"{where}: SE02 control number {e[2]!r} != ST02 {st_ctrl!r}")
                version = tx["version"]
                if version and version.startswith("0040"):
                    old_versions.add(version)
                payer_id = payer_n104 or ref_2u or payer_name
                tx["payer_id"] = payer_id
                tx["payer_name"] = payer_name
                pdate = dtc[bpr16] if bpr16 else None
                if pdate is not None:
                    tx["payment_date_source"] = "BPR16"
                else:
                    what = (
                        f"BPR16 {bpr16!r} is not a valid CCYYMMDD date"
                        if bpr16
                        else "BPR16 is missing"
                    )
                    if gs04 is not None:
                        pdate = gs04
                        tx["payment_date_source"] = "GS04"
                        warn(f"{where}: {what}; GS04 {gs04_raw} used as the payment date")
                    else:
                        warn(f"{where}: {what} and there is no valid GS04; payment date unknown")
                tx["payment_date"] = pdate
                tx["claim_count"] = n_claims
                if bad is None:
                    if bpr02 is None:
                        bad = "no BPR segment (payment amount unknown)"
                    else:
                        try:
                            diff = bpr02 - (sum_paid - sum_plb)
                            if diff >= _HALF_CENT or -diff >= _HALF_CENT:
                                bad = (
                                    f"unbalanced: BPR02 {_fmt(bpr02)} != sum CLP04"
                                    f" {_fmt(sum_paid)} - sum PLB {_fmt(sum_plb)}"
                                )
                        except ArithmeticError:  # NaN (fast pass) or out of range
                            bad = "unbalanced: an amount is not a finite number"
                if bad is None:
                    tx["status"] = "loaded"
                    if hdr_payer != payer_id or hdr_date != pdate:  # header after the claims
                        for cl in claims_out[marks[0] :]:
                            cl[15] = payer_id
                            cl[16] = pdate
                else:
                    tx["status"] = "held"
                    tx["hold_reason"] = bad
                    del claims_out[marks[0] :]
                    del adj_out[marks[1] :]
                    del svc_out[marks[2] :]
                    del plb_out[marks[3] :]
                out.transactions.append(tx)
                tx_index += 1
                in_st = in_header = False
                tx = claim = ln = None
            elif sid == "GS":
                if in_st:
                    raise X12QuarantineError(f"cut short: transaction ST {st_ctrl} has no SE")
                if in_gs:
                    raise X12QuarantineError(f"cut short: group GS {gs_ctrl} has no GE")
                if len(e) < 9:
                    e += [""] * (9 - len(e))
                in_gs = True
                isa_gs += 1
                gs_st = 0
                gs_ctrl = e[6]
                gs04_raw = e[4]
                gs04 = dtc[e[4]] if e[4] else None
                gs08 = e[8] or None
            elif sid == "GE":
                if in_st:
                    raise X12QuarantineError(f"cut short: transaction ST {st_ctrl} has no SE")
                if not in_gs:
                    warn("GE without a matching GS ignored")
                    continue
                if len(e) < 3:
                    e += [""] * (3 - len(e))
                if not _count_ok(e[1], gs_st):
                    warn(f"group GS {gs_ctrl}: GE01 count {e[1]!r} != {gs_st} transactions")
                if not _same_control(e[2], gs_ctrl):
                    warn(f"group GS {gs_ctrl}: GE02 control number {e[2]!r} != GS06 {gs_ctrl!r}")
                in_gs = False
                gs04 = gs08 = None
                gs04_raw = ""
                gs_st = 0
            elif sid == "ISA":
                if in_st:
                    raise X12QuarantineError(f"cut short: transaction ST {st_ctrl} has no SE")
                if in_gs:
                    raise X12QuarantineError(f"cut short: group GS {gs_ctrl} has no GE")
                if in_isa:
                    raise X12QuarantineError(f"cut short: interchange ISA {isa_ctrl} has no IEA")
                if len(e) < 17:
                    e += [""] * (17 - len(e))
                in_isa = True
                isa_ctrl = e[13].strip()
                isa12 = e[12].strip()
                isa_gs = 0
            elif sid == "IEA":
                if in_st:
                    raise X12QuarantineError(f"cut short: transaction ST {st_ctrl} has no SE")
                if in_gs:
                    raise X12QuarantineError(f"cut short: group GS {gs_ctrl} has no GE")
                if not in_isa:
                    warn("IEA without a matching ISA ignored")
                    continue
                if len(e) < 3:
                    e += [""] * (3 - len(e))
                if not _count_ok(e[1], isa_gs):
                    warn(f"interchange ISA {isa_ctrl}: IEA01 count {e[1]!r} != {isa_gs} groups")
                if not _same_control(e[2], isa_ctrl):
                    warn(
                        f"interchange ISA {isa_ctrl}: IEA02 control number {e[2]!r}"
                        f" != ISA13 {isa_ctrl!r}"
                    )
                in_isa = False
            elif sid not in known:
                unknown[sid] = unknown.get(sid, 0) + 1
        except X12QuarantineError:
            raise
        except (ArithmeticError, IndexError, ValueError, TypeError) as exc:
            why = _why(exc)
            if in_st:
                if bad is None:
                    bad = (
                        f"malformed {s.split(sep, 1)[0]} segment"
                        f" (segment {i - st_i + 1} of ST {st_ctrl}): {why}"
                    )
            else:
                sid = s.split(sep, 1)[0]
                warn(f"malformed {sid} segment outside a transaction ignored: {why}")

    if in_st:
        raise X12QuarantineError(
            f"cut short: the file ends inside transaction ST {st_ctrl} (no SE)"
        )
    if in_gs:
        raise X12QuarantineError(f"cut short: group GS {gs_ctrl} has no GE")
    if in_isa:
        raise X12QuarantineError(f"cut short: interchange ISA {isa_ctrl} has no IEA")

    if old_versions:
        for v in sorted(old_versions):
            warn(f"older X12 version {v} (4010): read with the 005010X221A1 rules")
    elif isa12.startswith("0040"):
        warn(f"older X12 interchange version ISA12 {isa12} (4010)")
    state.tx_index = tx_index
    state.claim_index = claim_index
