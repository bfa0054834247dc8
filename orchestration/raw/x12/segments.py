"""The dispatch loop of the 835 reader: one pass over the segments of one interchange.

The reader is a plain ``str.split`` tokenizer with a single dispatch loop; no regular expression
runs per segment and no per-character loop runs over the file.  Segments are dispatched on their
first character and only the segments that are used get split into elements.  Rows are built as
lists / tuples in ``COLUMNS`` order (``rows.py``) with money kept as the text of the amount; every
amount is still checked with ``Decimal()`` where it is read (memoised per file, because
remittances repeat the same amounts and dates many times; quantities have their own memo), and
the sums (balance, PR) are exact Decimal arithmetic.  A claim's first PR amount per reason slot is
kept as its text (0 + x is x) in the fast pass (``State.fast``).

``read_segments`` is one long function on purpose: it is the hot loop (locals, inlined cache
hits); everything that runs once per transaction or interchange lives in ``envelope.py``,
``transaction.py`` and ``rows.py``.  ``benchmarks/ingest_835.py`` guards its speed.
"""

from __future__ import annotations

from decimal import Decimal

from orchestration.raw.x12.envelope import Envelope, count_ok, same_control
from orchestration.raw.x12.errors import X12QuarantineError
from orchestration.raw.x12.rows import (
    CLAIM,
    PR_SUMS,
    SERVICE_LINE,
    Rows,
    close_claim,
    new_transaction,
)
from orchestration.raw.x12.transaction import hold_reason, payment_date
from orchestration.raw.x12.values import (
    ZERO,
    Dates,
    all_plain,
    composite,
    money,
    money_rules_hold,
    why,
)
from orchestration.raw.x12.values import (
    sum_text as _sum_text,
)

_PR_SLOT = {"1": 0, "2": 1, "3": 2}  # PR reason -> deductible / coinsurance / copay; else other

# Segment ids of 005010X221A1 (plus N2 / envelope ids also seen in 4010 files and TA1).
_KNOWN = frozenset(
    [
        "ISA",
        "IEA",
        "GS",
        "GE",
        "ST",
        "SE",
        "TA1",
        "BPR",
        "TRN",
        "CUR",
        "REF",
        "DTM",
        "N1",
        "N2",
        "N3",
        "N4",
        "PER",
        "RDM",
        "LX",
        "TS3",
        "TS2",
        "CLP",
        "CAS",
        "NM1",
        "MIA",
        "MOA",
        "AMT",
        "QTY",
        "SVC",
        "LQ",
        "PLB",
    ]
)
# Known segments this reader does not need.
_IGNORED = frozenset(
    ["NM1", "AMT", "QTY", "LX", "MIA", "MOA", "TS3", "TS2", "N2", "N3", "N4", "PER", "CUR", "RDM", "LQ", "TA1"]
)


class State:
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
        self.dates = Dates()

    def all_plain(self) -> bool:
        """Every amount and quantity read is a plain number and the money rules hold: the fast
        pass's result stands (else the file is read again in the exact mode)."""
        return all_plain(self.money) and all_plain(self.quantities) and money_rules_hold(self.money, self.quantities)


_NOT_DTM = (None, None)


class _DtmMemo(dict):
    """Whole DTM segment -> (qualifier, date or None); ``_NOT_DTM`` for any other segment."""

    def __init__(self, sep: str, dates: Dates) -> None:
        super().__init__()
        self.sep = sep
        self.dates = dates

    def __missing__(self, s: str):
        e = s.split(self.sep)
        r = _NOT_DTM if e[0] != "DTM" or len(e) < 2 else (e[1], self.dates[e[2]] if len(e) > 2 else None)
        self[s] = r
        return r


def read_segments(  # noqa: C901, PLR0912, PLR0915 -- the hot loop, one function for speed
    segs: list[str], sep: str, comp: str, out: Rows, state: State, envelope: bool
) -> None:
    """Run the dispatch loop over the segments of one interchange (or of a bare file).

    Hot segments (CAS, DTM, SVC, CLP and the skipped NM1 / REF / AMT) are recognised by their
    first character and handled first; everything else goes through the generic branch at the
    bottom of the loop.  Rows are appended straight to ``out`` and cut back off when the
    transaction turns out to be held.  The envelope segments (ISA, GS, GE, IEA) go to
    ``Envelope``; the SE applies ``transaction.payment_date`` and ``transaction.hold_reason``.
    """
    warn = out.warnings.append
    dc = state.money
    qc = state.quantities
    dget = dc.get
    D = state.decimal
    Q = state.quantity
    dtc = state.dates
    dtm = _DtmMemo(sep, dtc)
    env = Envelope(warn, dtc)
    fast = state.fast
    unknown = state.unknown
    known = _KNOWN
    pr_slot = _PR_SLOT
    zero = ZERO
    sum_text = _sum_text
    # named positions of the rows completed by later segments
    pr_sums = PR_SUMS
    c_start = CLAIM.service_date_start
    c_end = CLAIM.service_date_end
    c_payer = CLAIM.payer_id
    c_paid_on = CLAIM.payment_date
    l_date = SERVICE_LINE.service_date
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
                    g = e[1]
                    if n < 6:  # one triplet (the common case), with or without a quantity
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
                            prs[k] = v if fast and cur == "0" else sum_text(cur, amt)
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
                            prs[j] = v if fast and cur == "0" else sum_text(cur, amt)
                    continue
                if sid == "CLP":
                    if not in_st:
                        warn("CLP outside a transaction ignored")
                        continue
                    if claim is not None:  # inlined _close_claim()
                        src = cpr if cpr is not None else spr
                        if src is not None:
                            claim[pr_sums] = src
                        if dmin is not None:
                            if claim[c_start] is None:
                                claim[c_start] = dmin
                            if claim[c_end] is None:
                                claim[c_end] = dmax
                    elif not hdr_done:
                        in_header = False
                        hdr_done = True
                        hdr_payer = payer_n104 or ref_2u or payer_name
                        hdr_date = dtc[bpr16] if bpr16 else None
                        if hdr_date is None:
                            hdr_date = env.gs04
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
                    # inlined rows.new_claim() (a call per claim costs ~2 % of the parse)
                    claim = [
                        tx_index,
                        ci,
                        e[1].strip(),
                        e[2],
                        charge,
                        paid,
                        resp,
                        e[6] or None,
                        e[7] or None,
                        "0",
                        "0",
                        "0",
                        "0",
                        None,
                        None,
                        hdr_payer,
                        hdr_date,
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
                                ln_date = ln[l_date] = d
                            if dmin is None or d < dmin:
                                dmin = d
                            if dmax is None or d > dmax:
                                dmax = d
                    elif claim is not None:
                        q, d = r
                        if q == "232":
                            claim[c_start] = d
                        elif q == "233":
                            claim[c_end] = d
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
                    ln = [ci, sli, proc, v2, v3, v5, None]  # inlined rows.new_service_line()
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
                    close_claim(claim, cpr, spr, dmin, dmax)
                    claim = ln = None
                n = len(e)
                prov = e[1] if n > 1 else ""
                fdate = dtc[e[2]] if n > 2 and e[2] else None
                for k in range(3, n, 2):
                    rv = e[k]
                    if not rv:
                        continue
                    v = e[k + 1]
                    amt = money(dc, D, v)
                    sum_plb += amt
                    code, ref = composite(rv, comp)
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
                bpr02 = tx["payment_amount"] = money(dc, D, e[2])
            elif sid == "TRN":
                if in_st and tx["trace_number"] is None and len(e) > 2:
                    tx["trace_number"] = e[2] or None
            elif sid == "ST":
                if in_st:
                    raise X12QuarantineError(f"cut short: transaction ST {st_ctrl} has no SE before the next ST")
                if len(e) < 4:
                    e += [""] * (4 - len(e))
                if e[1] != "835":
                    raise X12QuarantineError(f"not an 835: the transaction set is ST01 {e[1]!r}")
                if envelope and not env.in_gs:
                    warn(f"transaction ST {e[2]} is not inside a GS..GE group")
                in_st = in_header = True
                hdr_done = False
                st_i = i
                st_ctrl = e[2]
                env.gs_st += 1
                marks = (len(claims_out), len(adj_out), len(svc_out), len(plb_out))
                bad = bpr02 = claim = ln = hdr_payer = hdr_date = None
                bpr16 = ""
                n_claims = 0
                sum_paid = sum_plb = zero
                payer_name = payer_n104 = ref_2u = None
                tx = new_transaction(tx_index, st_ctrl, e[3] or env.gs08)
            elif sid == "SE":
                if not in_st:
                    warn("SE without a matching ST ignored")
                    continue
                if claim is not None:
                    close_claim(claim, cpr, spr, dmin, dmax)
                if len(e) < 3:
                    e += [""] * (3 - len(e))
                where = f"transaction {tx_index} (ST {st_ctrl})"
                count = i - st_i + 1
                if not count_ok(e[1], count):
                    warn(f"{where}: SE01 segment count {e[1]!r} != {count} segments ST..SE")
                if not same_control(e[2], st_ctrl):
                    warn(f"{where}: SE02 control number {e[2]!r} != ST02 {st_ctrl!r}")
                version = tx["version"]
                if version and version.startswith("0040"):
                    old_versions.add(version)
                payer_id = payer_n104 or ref_2u or payer_name
                tx["payer_id"] = payer_id
                tx["payer_name"] = payer_name
                pdate, tx["payment_date_source"] = payment_date(bpr16, dtc, env, warn, where)
                tx["payment_date"] = pdate
                tx["claim_count"] = n_claims
                if bad is None:
                    bad = hold_reason(bpr02, sum_paid, sum_plb)
                if bad is None:
                    tx["status"] = "loaded"
                    if hdr_payer != payer_id or hdr_date != pdate:  # header after the claims
                        for cl in claims_out[marks[0] :]:
                            cl[c_payer] = payer_id
                            cl[c_paid_on] = pdate
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
                env.gs(e, st_ctrl if in_st else None)
            elif sid == "GE":
                env.ge(e, st_ctrl if in_st else None)
            elif sid == "ISA":
                env.isa(e, st_ctrl if in_st else None)
            elif sid == "IEA":
                env.iea(e, st_ctrl if in_st else None)
            elif sid not in known:
                unknown[sid] = unknown.get(sid, 0) + 1
        except X12QuarantineError:
            raise
        except (ArithmeticError, IndexError, ValueError, TypeError) as exc:
            reason = why(exc)
            if in_st:
                if bad is None:
                    bad = f"malformed {s.split(sep, 1)[0]} segment (segment {i - st_i + 1} of ST {st_ctrl}): {reason}"
            else:
                sid = s.split(sep, 1)[0]
                warn(f"malformed {sid} segment outside a transaction ignored: {reason}")

    if in_st:
        raise X12QuarantineError(f"cut short: the file ends inside transaction ST {st_ctrl} (no SE)")
    env.finish(old_versions)
    state.tx_index = tx_index
    state.claim_index = claim_index
