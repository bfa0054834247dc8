"""Finding the segments of an 835 and checking its envelopes (ISA..IEA, GS..GE).

Separators are read from the ISA: element separator = the byte after ``ISA``, repetition
separator = ISA11, component separator = ISA16, segment terminator = the character right after
ISA16.  The ISA is walked by its element separator (not by fixed offsets) so that non-fixed-width
ISAs work.  A file may hold several interchanges, each with its own separators.  A file without
an ISA (a bare ``ST*835*...`` ... ``SE`` file, optionally with a GS) takes the element separator
from the character after ``ST`` and the terminator from the first character that ends the ST
segment (``~``, a newline, ...); the component separator then defaults to ``:``.  When the
terminator is not a line break, CR/LF are removed before splitting (so line breaks after the
terminator and files wrapped at a fixed width both work); surrounding whitespace is stripped.

``Envelope`` holds the ISA / GS state of one interchange while the segments are read: a group or
interchange that is not closed quarantines the file, wrong counts and control numbers are
warnings (docs/landing.md, "835 remittances").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from operator import itemgetter

from orchestration.raw.x12.errors import X12QuarantineError
from orchestration.raw.x12.values import Dates

_BARE_ST = re.compile(r"(?:^|[^A-Za-z0-9])ST([^A-Za-z0-9\s])835\1")
_ANY_ST = re.compile(r"(?:^|[^A-Za-z0-9])ST([^A-Za-z0-9\s])([A-Za-z0-9]{1,6})\1")


def decode(data: bytes) -> str:
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


def read_isa(text: str, p: int) -> tuple[str, str, str, str, list[str]]:
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
        raise X12QuarantineError(f"malformed ISA segment: cannot find the segment terminator after ISA16 {comp!r}")
    els = text[p : k + 2].split(sep)
    return sep, comp, els[11], term, els


def isa_starts(text: str) -> list[int]:
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
            term = read_isa(text, p)[3]
        except X12QuarantineError:
            term = None


def bare_separators(text: str) -> tuple[str, str]:
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


def segments(text: str, term: str) -> list[str]:
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
                " " in "".join(map(_LAST, segs[:-1])) or " " in "".join(map(_FIRST, segs[1:-1])) or segs[-1][:1] == " "
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


def count_ok(value: str, expected: int) -> bool:
    value = value.strip()
    return value.isdigit() and int(value) == expected


def same_control(a: str, b: str) -> bool:
    a = a.strip()
    b = b.strip()
    if a == b:
        return True
    return a.isdigit() and b.isdigit() and int(a) == int(b)


def _pad(e: list[str], n: int) -> list[str]:
    if len(e) < n:
        e += [""] * (n - len(e))
    return e


class Envelope:
    """The ISA..IEA and GS..GE state of one interchange (or bare file) and its checks.

    ``open_st`` (the ST02 of the transaction being read, or None) is passed to the segment
    handlers: a GS, GE, ISA or IEA inside a transaction means that transaction was cut short.
    """

    def __init__(self, warn: Callable[[str], None], dates: Dates) -> None:
        self.warn = warn
        self.dates = dates
        self.in_isa = False
        self.isa_ctrl = ""
        self.isa12 = ""
        self.isa_gs = 0  # groups seen in the interchange
        self.in_gs = False
        self.gs_ctrl = ""
        self.gs_st = 0  # transactions seen in the group
        self.gs04 = None  # the group's date (stands in for a missing BPR16)
        self.gs04_raw = ""
        self.gs08 = None  # the group's version (stands in for a missing ST03)

    def _no_open_st(self, open_st: str | None) -> None:
        if open_st is not None:
            raise X12QuarantineError(f"cut short: transaction ST {open_st} has no SE")

    def _no_open_gs(self) -> None:
        if self.in_gs:
            raise X12QuarantineError(f"cut short: group GS {self.gs_ctrl} has no GE")

    def isa(self, e: list[str], open_st: str | None) -> None:
        self._no_open_st(open_st)
        self._no_open_gs()
        if self.in_isa:
            raise X12QuarantineError(f"cut short: interchange ISA {self.isa_ctrl} has no IEA")
        e = _pad(e, 17)
        self.in_isa = True
        self.isa_ctrl = e[13].strip()
        self.isa12 = e[12].strip()
        self.isa_gs = 0

    def iea(self, e: list[str], open_st: str | None) -> None:
        self._no_open_st(open_st)
        self._no_open_gs()
        if not self.in_isa:
            self.warn("IEA without a matching ISA ignored")
            return
        e = _pad(e, 3)
        ctrl = self.isa_ctrl
        if not count_ok(e[1], self.isa_gs):
            self.warn(f"interchange ISA {ctrl}: IEA01 count {e[1]!r} != {self.isa_gs} groups")
        if not same_control(e[2], ctrl):
            self.warn(f"interchange ISA {ctrl}: IEA02 control number {e[2]!r} != ISA13 {ctrl!r}")
        self.in_isa = False

    def gs(self, e: list[str], open_st: str | None) -> None:
        self._no_open_st(open_st)
        self._no_open_gs()
        e = _pad(e, 9)
        self.in_gs = True
        self.isa_gs += 1
        self.gs_st = 0
        self.gs_ctrl = e[6]
        self.gs04_raw = e[4]
        self.gs04 = self.dates[e[4]] if e[4] else None
        self.gs08 = e[8] or None

    def ge(self, e: list[str], open_st: str | None) -> None:
        self._no_open_st(open_st)
        if not self.in_gs:
            self.warn("GE without a matching GS ignored")
            return
        e = _pad(e, 3)
        ctrl = self.gs_ctrl
        if not count_ok(e[1], self.gs_st):
            self.warn(f"group GS {ctrl}: GE01 count {e[1]!r} != {self.gs_st} transactions")
        if not same_control(e[2], ctrl):
            self.warn(f"group GS {ctrl}: GE02 control number {e[2]!r} != GS06 {ctrl!r}")
        self.in_gs = False
        self.gs04 = self.gs08 = None
        self.gs04_raw = ""
        self.gs_st = 0

    def finish(self, old_versions: set[str]) -> None:
        """At the end of the interchange: every group and the interchange closed; 4010 noted."""
        self._no_open_gs()
        if self.in_isa:
            raise X12QuarantineError(f"cut short: interchange ISA {self.isa_ctrl} has no IEA")
        if old_versions:
            for v in sorted(old_versions):
                self.warn(f"older X12 version {v} (4010): read with the 005010X221A1 rules")
        elif self.isa12.startswith("0040"):
            self.warn(f"older X12 interchange version ISA12 {self.isa12} (4010)")
