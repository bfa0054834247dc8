"""Reading a generated landing zone back, independently of the generator: the CSV files of a
kind, the latest version of each key, and a tiny X12 835 parser (not the generator's writer,
nor the pipeline's reader)."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from orchestration.landing.contract import CSV_BY_NAME

AS_OF = date(2026, 11, 20)
YMD = AS_OF.strftime("%Y%m%d")
N = 1500  # guarantors of the shared clinic (conftest.py)


def read_kind(root: Path, kind: str, which: str = "all") -> list[dict]:
    folder = root / CSV_BY_NAME[kind].folder
    files = {"history": [folder / f"{kind}_history.csv"], "delta": [folder / f"{kind}_{YMD}.csv"]}
    files["all"] = files["history"] + files["delta"]
    rows = []
    for f in files[which]:
        with f.open(newline="", encoding="utf-8") as fh:
            rows.extend(csv.DictReader(fh))
    return rows


def latest(rows: list[dict], key: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for r in rows:
        k = r[key]
        if k not in out or r["updated_at"] >= out[k]["updated_at"]:
            out[k] = r
    return out


# ----------------------------------------------------------------------------- 835 parser
def parse_835(text: str) -> dict:
    """Independent checker: returns envelopes, transactions and claims; raises on faults."""
    assert text.startswith("ISA"), "not an ISA"
    elem, term = text[3], text[105]
    assert len(text[: text.index(term) + 1]) == 106
    segs = [s.strip("\r\n") for s in text.split(term)]
    segs = [s for s in segs if s]
    out = {"isa": [], "transactions": [], "claims": [], "problems": []}
    isa = gs = st = None
    gs_count = 0
    claim = None
    for s in segs:
        e = s.split(elem)
        tag = e[0]
        if tag == "CLP" and len(e) < 8:
            out["problems"].append("unreadable CLP")
            break
        if st is not None:
            st["segments"] += 1
        if tag == "ISA":
            isa = {"ctrl": e[13], "groups": 0}
        elif tag == "GS":
            gs = {"ctrl": e[6], "sts": 0, "version": e[8]}
            isa["groups"] += 1
        elif tag == "ST":
            st = {
                "ctrl": e[2],
                "segments": 1,
                "clp04": Decimal(0),
                "plb": Decimal(0),
                "bpr02": None,
                "claims": [],
                "bpr16": None,
                "payer": None,
            }
            gs["sts"] += 1
        elif tag == "BPR":
            st["bpr02"] = Decimal(e[2])
            st["bpr16"] = e[16] if len(e) > 16 else None
        elif tag == "N1" and e[1] == "PR":
            st["payer"] = e[4] if len(e) > 4 else None
        elif tag == "CLP":
            claim = {
                "clp01": e[1],
                "status": e[2],
                "charge": Decimal(e[3]),
                "paid": Decimal(e[4]),
                "resp": Decimal(e[5] or 0),
                "clp07": e[7],
                "cas": Decimal(0),
                "pr": Decimal(0),
                "pay_date": st["bpr16"],
                "payer": st["payer"],
                "svc": 0,
            }
            st["clp04"] += claim["paid"]
            st["claims"].append(claim)
            out["claims"].append(claim)
        elif tag == "CAS":
            for i in range(2, len(e), 3):
                if e[i]:
                    amt = Decimal(e[i + 1])
                    claim["cas"] += amt
                    if e[1] == "PR":
                        claim["pr"] += amt
        elif tag == "SVC":
            claim["svc"] += 1
        elif tag == "PLB":
            for i in range(3, len(e), 2):
                st["plb"] += Decimal(e[i + 1])
        elif tag == "SE":
            if int(e[1]) != st["segments"]:
                out["problems"].append(f"SE count {e[1]} != {st['segments']}")
            if e[2] != st["ctrl"]:
                out["problems"].append("SE control")
            if st["bpr02"] != st["clp04"] - st["plb"]:
                out["problems"].append(f"unbalanced ST {st['ctrl']}: {st['bpr02']} != {st['clp04']} - {st['plb']}")
            out["transactions"].append(st)
            st = None
            claim = None
        elif tag == "GE":
            if int(e[1]) != gs["sts"] or e[2] != gs["ctrl"]:
                out["problems"].append("GE")
            gs_count += 1
        elif tag == "IEA":
            if int(e[1]) != isa["groups"] or e[2] != isa["ctrl"]:
                out["problems"].append("IEA")
            out["isa"].append(isa)
            isa = None
    if st is not None or isa is not None:
        out["problems"].append("truncated")
    return out


CLINIC_TZ = ZoneInfo("America/Chicago")


def local_date(ts: str) -> str:
    """Clinic-local date of an ISO timestamp (offset or Z)."""
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(CLINIC_TZ).date().isoformat()


def money_ok(v: str) -> bool:
    return re.fullmatch(r"\d+\.\d{2}", v) is not None


def era_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "era").glob("*.835") if not p.name.startswith("defect_"))


def adjudications(root: Path) -> dict[str, list]:
    by_enc = defaultdict(list)
    for p in era_files(root):
        for i, c in enumerate(parse_835(p.read_text())["claims"]):
            by_enc[c["clp01"]].append((c["pay_date"], p.name, i, c))
    return by_enc


def patient_resp(claims: list) -> tuple[Decimal | None, str | None]:
    """DOMAIN §1: latest effective adjudication; reversals cancel by CLP07; secondary wins."""
    eff = []
    for pay_date, _name, _i, c in sorted(claims, key=lambda x: (x[0], x[1], x[2])):
        if c["status"] == "22":
            eff = [x for x in eff if x[1]["clp07"] != c["clp07"]]
        else:
            eff.append((pay_date, c))
    if not eff:
        return None, None
    sec = [x for x in eff if x[1]["status"] in ("2", "20")]
    pd, c = (sec or eff)[-1]
    return c["resp"], pd


def plan_with_missed_installment(plans, tx) -> bool:
    paid = defaultdict(Decimal)
    dates = defaultdict(list)
    for t in tx:
        if t["plan_id"] and t["type"] == "payment":
            paid[t["plan_id"]] += Decimal(t["amount"])
            dates[t["plan_id"]].append(t["posted_at"])
    for p in plans:
        if p["status"] != "active" or p["frequency"] != "monthly":
            continue
        first = date.fromisoformat(p["first_due_date"])
        inst = Decimal(p["installment_amount"])
        due = 0
        for k in range(int(p["installment_count"])):
            y, m = divmod(first.month - 1 + k, 12)
            d = date(first.year + y, m + 1, first.day)
            if (AS_OF - d).days > 3:
                due += 1
        if due and paid[p["plan_id"]] < inst * due:
            return True
    return False
