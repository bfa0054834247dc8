"""Write X12 835 (005010X221A1) remittance files for the sample clinic.

Two layers:

* :func:`claim_blocks` turns a table of adjudicated claims (numpy arrays, amounts in
  integer cents, signed) into one text block per claim -- CLP, CAS, NM1*QC, DTM*232 and
  optional SVC/DTM*472/CAS service lines -- vectorised with pyarrow, plus the number of
  segments in each block.
* :func:`transaction` / :func:`interchange` wrap blocks into ST..SE, GS..GE and ISA..IEA
  envelopes with correct counts and control numbers, BPR02 = sum(CLP04) - sum(PLB).

Separators are fixed: element ``*``, repetition ``^`` (ISA11), component ``:`` (ISA16),
segment terminator ``~`` (optionally followed by a line break).  The ISA segment is always
106 characters including its terminator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

VERSION = "005010X221A1"
ELEM = "*"
COMP = ":"
REP = "^"
TERM = "~"


# ----------------------------------------------------------------------------- helpers
def _join(*parts):
    return pc.binary_join_element_wise(*parts, "")


def money_x12(cents) -> pa.Array:
    """Signed decimal dollars with two decimals (``-12.30``, ``0.00``)."""
    c = np.asarray(cents, dtype=np.int64)
    a = np.abs(c)
    s = _join(
        pc.cast(pa.array(a // 100), pa.string()),
        ".",
        pc.utf8_lpad(pc.cast(pa.array(a % 100), pa.string()), width=2, padding="0"),
    )
    neg = c < 0
    if neg.any():
        s = pc.if_else(pa.array(neg), _join("-", s), s)
    return s


def fmt_amount(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    a = abs(int(cents))
    return f"{sign}{a // 100}.{a % 100:02d}"


def _opt(mask: np.ndarray, arr) -> pa.Array:
    """``arr`` where ``mask`` else null."""
    return pc.if_else(pa.array(mask), arr, pa.scalar(None, pa.string()))


def _combine(acc, t):
    both = pc.binary_join_element_wise(acc, t, "**")
    return pc.coalesce(both, acc, t)


def _cas(group: str, triplets: Sequence[tuple[str | pa.Array, np.ndarray]]) -> tuple[pa.Array, np.ndarray]:
    """One CAS segment per row for ``group`` holding every non-zero (reason, amount)
    triplet; empty string and 0 segments where all amounts are zero."""
    acc = None
    present = None
    for reason, cents in triplets:
        cents = np.asarray(cents, dtype=np.int64)
        m = cents != 0
        t = _opt(m, _join(reason, "*", money_x12(cents)))
        acc = t if acc is None else _combine(acc, t)
        present = m if present is None else (present | m)
    seg = pc.fill_null(_join("CAS*" + group + "*", acc, TERM), "")
    return seg, present.astype(np.int64)


def _fill(arr) -> pa.Array:
    return pc.fill_null(arr, "")


# ----------------------------------------------------------------------------- claims
def claim_blocks(
    *,
    clp01: pa.Array,
    status: pa.Array,
    charge: np.ndarray,
    paid: np.ndarray,
    resp: np.ndarray,
    filing: pa.Array,
    clp07: pa.Array,
    last: pa.Array,
    first: pa.Array,
    member: pa.Array,
    service_date: pa.Array,
    co45: np.ndarray,
    oa23: np.ndarray,
    pr1: np.ndarray,
    pr2: np.ndarray,
    pr3: np.ndarray,
    pr204: np.ndarray,
    co_denial: np.ndarray,
    co_denial_reason: pa.Array,
    svc_lines: np.ndarray,
    cpt1: pa.Array,
    cpt2: pa.Array,
    svc_split: np.ndarray,
) -> tuple[pa.Array, np.ndarray]:
    """Claim text per row (CLP..) as a large_string array, and segment count per row.

    Amounts are signed integer cents.  Invariants the caller guarantees per claim:
    ``charge - paid == co45 + oa23 + pr1 + pr2 + pr3 + pr204 + co_denial`` and
    ``resp == pr1 + pr2 + pr3 + pr204``.  Rows with ``svc_lines`` in (1, 2) carry their
    adjustments on the service lines instead of the claim (``svc_split`` is the fraction
    of each amount on line 1 when there are two lines).
    """
    n = len(charge)
    charge = np.asarray(charge, np.int64)
    paid = np.asarray(paid, np.int64)
    svc = np.asarray(svc_lines, np.int64)
    claim_level = svc == 0

    clp = _join(
        "CLP*",
        clp01,
        "*",
        status,
        "*",
        money_x12(charge),
        "*",
        money_x12(paid),
        "*",
        money_x12(resp),
        "*",
        filing,
        "*",
        clp07,
        "*11*1",
        TERM,
    )
    segs = np.ones(n, np.int64)

    def z(a, m):
        return np.where(m, np.asarray(a, np.int64), 0)

    cl = claim_level
    cas_co, k = _cas("CO", [("45", z(co45, cl)), (co_denial_reason, z(co_denial, cl))])
    segs += k
    cas_oa, k = _cas("OA", [("23", z(oa23, cl))])
    segs += k
    cas_pr, k = _cas("PR", [("1", z(pr1, cl)), ("2", z(pr2, cl)), ("3", z(pr3, cl)), ("204", z(pr204, cl))])
    segs += k
    nm1 = _join("NM1*QC*1*", last, "*", first, "****MI*", member, TERM)
    dtm = _join("DTM*232*", service_date, TERM)
    segs += 2

    parts = [clp, cas_co, cas_oa, cas_pr, nm1, dtm]

    if (svc != 0).any():
        amounts = {"charge": charge, "paid": paid, "oa23": oa23, "pr1": pr1, "pr2": pr2, "pr3": pr3}
        line_parts, line_segs = _service_lines(amounts, svc, svc_split, (cpt1, cpt2), service_date)
        parts += line_parts
        segs += line_segs

    text = _join(*[_fill(p) for p in parts])
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    return text.cast(pa.large_string()), segs


def _service_lines(
    amounts: dict, lines: np.ndarray, split, cpts: tuple[pa.Array, pa.Array], service_date: pa.Array
) -> tuple[list[pa.Array], np.ndarray]:
    """SVC, DTM*472 and CAS segments of the claims with 1 or 2 service lines (0: none), and the
    number of segments per claim. Line 1 gets `split` of every amount and line 2 the rest; a
    one-line claim puts everything on line 1; each line's CO-45 balances it exactly."""
    has, two = lines != 0, lines == 2
    share = np.where(two, np.asarray(split, float), 1.0)
    first = {
        k: np.where(has, np.round(np.asarray(v, np.int64) * share).astype(np.int64), 0) for k, v in amounts.items()
    }
    first["co45"] = np.where(
        has, first["charge"] - first["paid"] - first["pr1"] - first["pr2"] - first["pr3"] - first["oa23"], 0
    )
    second = {k: np.where(two, np.asarray(v, np.int64) - first[k], 0) for k, v in amounts.items()}
    second["co45"] = np.where(
        two, second["charge"] - second["paid"] - second["pr1"] - second["pr2"] - second["pr3"] - second["oa23"], 0
    )
    parts, segs = [], np.zeros(len(lines), np.int64)
    for cpt, line, m in ((cpts[0], first, has), (cpts[1], second, two)):
        svc_seg = _opt(
            m, _join("SVC*HC:", cpt, "*", money_x12(line["charge"]), "*", money_x12(line["paid"]), "**1", TERM)
        )
        dtm472 = _opt(m, _join("DTM*472*", service_date, TERM))
        s_co, k1 = _cas("CO", [("45", np.where(m, line["co45"], 0))])
        s_oa, k2 = _cas("OA", [("23", np.where(m, line["oa23"], 0))])
        s_pr, k3 = _cas("PR", [(code, np.where(m, line[f"pr{code}"], 0)) for code in ("1", "2", "3")])
        parts += [_fill(svc_seg), _fill(dtm472), s_co, s_oa, s_pr]
        segs += np.where(m, 2, 0) + k1 + k2 + k3
    return parts, segs


def concat_text(texts: pa.Array, rows=None) -> str:
    """The concatenation of ``texts[rows]`` (all rows when None), read straight from the
    Arrow data buffer instead of materialising one Python string per claim."""
    arr = texts if rows is None else texts.take(pa.array(np.asarray(rows, np.int64)))
    if len(arr) == 0:
        return ""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    data = arr.buffers()[2]
    return data[int(offsets[0]) : int(offsets[-1])].to_pybytes().decode("ascii")


# ----------------------------------------------------------------------------- envelopes
@dataclass
class Party:
    name: str
    id_qual: str
    id: str
    address: str
    city: str
    state: str
    zip: str


@dataclass
class Transaction:
    st_control: str
    payer: Party
    payee: Party
    payee_tin: str
    pay_date: str  # CCYYMMDD (BPR16)
    production_date: str  # CCYYMMDD (DTM*405)
    trace: str
    payer_tin: str
    method: str = "ACH"  # ACH | CHK
    claims_text: str = ""
    claims_segments: int = 0
    paid_total: int = 0  # sum of CLP04, cents
    plb: list = field(default_factory=list)  # (reason[:ref], cents)
    payee_npi: str = ""
    bpr_delta: int = 0  # defects: add to BPR02 (unbalanced)
    se_delta: int = 0  # defects: add to SE01 (wrong count)
    omit_bpr16: bool = False  # defects: BPR16 missing
    version: str = VERSION
    st03: bool = True  # ST03 implementation reference (many payers omit it)

    @property
    def is_4010(self) -> bool:
        return self.version.startswith("004")

    @property
    def bpr_amount(self) -> int:
        return self.paid_total - sum(a for _, a in self.plb)

    def text(self) -> str:
        amt = self.bpr_amount + self.bpr_delta
        date = "" if self.omit_bpr16 else self.pay_date
        if amt == 0:
            bpr = ["BPR", "H", "0.00", "C", "NON"] + [""] * 11 + [date]
        elif self.method == "CHK":
            bpr = ["BPR", "I", fmt_amount(amt), "C", "CHK"] + [""] * 11 + [date]
        else:
            bpr = [
                "BPR",
                "I",
                fmt_amount(amt),
                "C",
                "ACH",
                "CCP",
                "01",
                "071000013",
                "DA",
                "4410023871",
                "1" + self.payer_tin,
                "",
                "01",
                "071923284",
                "DA",
                "88120044",
                date,
            ]
        while bpr and bpr[-1] == "":
            bpr.pop()
        head = (
            [
                f"ST*835*{self.st_control}" + (f"*{self.version}" if self.st03 and not self.is_4010 else ""),
                ELEM.join(bpr),
                f"TRN*1*{self.trace}*1{self.payer_tin}",
                f"DTM*405*{self.production_date}",
                f"N1*PR*{self.payer.name}*{self.payer.id_qual}*{self.payer.id}",
                f"N3*{self.payer.address}",
                f"N4*{self.payer.city}*{self.payer.state}*{self.payer.zip}",
            ]
            + ([] if self.is_4010 else ["PER*BL*PROVIDER EDI SUPPORT*TE*8005550199"])
            + [
                f"N1*PE*{self.payee.name}*{self.payee.id_qual}*{self.payee.id}",
                f"N3*{self.payee.address}",
                f"N4*{self.payee.city}*{self.payee.state}*{self.payee.zip}",
                f"REF*TJ*{self.payee_tin}",
                "LX*1",
            ]
        )
        fiscal = self.pay_date[:4] + "1231"
        plb = [f"PLB*{self.payee_npi}*{fiscal}*{r}*{fmt_amount(a)}" for r, a in self.plb]
        count = len(head) + self.claims_segments + len(plb) + 1 + self.se_delta
        return (
            TERM.join(head)
            + TERM
            + self.claims_text
            + "".join(p + TERM for p in plb)
            + f"SE*{count}*{self.st_control}"
            + TERM
        )


def isa_segment(
    sender: str, receiver: str, yymmdd: str, hhmm: str, control: int, usage: str = "P", version: str = "00501"
) -> str:
    isa11 = "U" if version == "00401" else REP  # 4010: standards identifier; 5010: repetition separator
    seg = (
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{sender:<15.15}*ZZ*{receiver:<15.15}*{yymmdd}*{hhmm}"
        f"*{isa11}*{version}*{control:09d}*0*{usage}*{COMP}{TERM}"
    )
    assert len(seg) == 106, len(seg)
    return seg


def interchange(
    transactions: Sequence[Transaction],
    *,
    sender: str,
    receiver: str,
    date: str,  # CCYYMMDD
    time: str,  # HHMM
    isa_control: int,
    gs_control: int,
    newline: bool = False,
    version: str = VERSION,
    ge_delta: int = 0,
) -> str:
    isa_version = "00401" if version.startswith("004") else "00501"
    out = [isa_segment(sender, receiver, date[2:], time, isa_control, version=isa_version)]
    out.append(f"GS*HP*{sender}*{receiver}*{date}*{time}*{gs_control}*X*{version}{TERM}")
    for t in transactions:
        out.append(t.text())
    out.append(f"GE*{len(transactions) + ge_delta}*{gs_control}{TERM}")
    out.append(f"IEA*1*{isa_control:09d}{TERM}")
    text = "".join(out)
    if newline:
        text = text.replace(TERM, TERM + "\n")
    return text
