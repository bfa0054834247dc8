"""Sample clinic generator: writes a landing zone (LANDING.md) for a synthetic clinic.

Everything is vectorised with numpy / pyarrow and driven by one
``numpy.random.default_rng(seed)``; there is no wall clock anywhere, so the same
arguments give byte-identical files.

Layout written under ``out``::

    pm/<kind>_history.csv        everything dated before the first delta day
    pm/<kind>_<YYYYMMDD>.csv     rows created/updated on that day (one delta per day of the last
                                 ``delta_days`` days, default 1: as_of only, the "next day" delta)
    ops/<kind>_history.csv, ops/<kind>_<YYYYMMDD>.csv
    events/sendgrid/sendgrid_<YYYYMMDD>.json
    era/<PAYER>_<YYYYMMDD>_<n>.835   one file per payer per payment date (BPR16)

A row updated on a delta day whose key already existed appears twice: its previous version
in the history file and the new one (later ``updated_at``) in the delta.

Every file's modification time is when it "arrived": a dated file at 23:30 clinic time on its
date, the history files (and the defect files) on the day before the first delta day. A
backfill loads by arrival (orchestration/raw/files.py), so a generated clinic backfills as
its files would have arrived.

Conventions (see the module constants): ``*_at`` columns are timestamps (ISO 8601 with
the clinic's UTC offset; ``ops/contact_log`` from the call-centre tool uses ``Z``), except
the three guarantor columns that LANDING.md types as dates (``address_verified_at``,
``deceased_at``, ``bankruptcy_filed_at``).  Plain dates: ``*_date``, ``support_start``,
``support_end``.  Money: ``1234.50``.
"""
from __future__ import annotations

import argparse
import calendar
import csv
import json
import os
import re
import shutil
import sys
import time
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import x12_writer as x12

EPOCH = date(1970, 1, 1)
LANDING_DIRS = ("era", "pm", "ops", "events")

# ----------------------------------------------------------------------------- contract
COLUMNS: dict[str, list[str]] = {
    "guarantors": [
        "guarantor_id", "household_id", "first_name", "last_name", "date_of_birth",
        "address_line1", "address_line2", "city", "state", "postal_code", "phone", "email",
        "timezone", "preferred_channel", "language", "sms_consent_at", "email_consent_at",
        "card_on_file_consent_at", "sms_opt_out_at", "email_opt_out_at", "address_verified_at",
        "deceased_at", "bankruptcy_filed_at", "updated_at",
    ],
    "encounters": [
        "encounter_id", "guarantor_id", "patient_id", "service_date", "provider_npi", "location",
        "specialty", "total_charge", "primary_payer_id", "secondary_payer_id",
        "claim_submitted_at", "updated_at",
    ],
    "patient_transactions": [
        "transaction_id", "guarantor_id", "encounter_id", "posted_at", "type", "reason", "amount",
        "method", "plan_id", "updated_at",
    ],
    "payment_plans": [
        "plan_id", "guarantor_id", "created_at", "approved_by", "total_amount",
        "installment_amount", "installment_count", "first_due_date", "frequency", "card_on_file",
        "status", "status_changed_at", "updated_at",
    ],
    "disputes": [
        "dispute_id", "guarantor_id", "encounter_id", "opened_at", "channel", "reason",
        "resolved_at", "resolution", "updated_at",
    ],
    "hardship": [
        "application_id", "guarantor_id", "submitted_at", "decided_at", "outcome", "relief",
        "discount_pct", "support_start", "support_end", "verified_by", "updated_at",
    ],
    "contact_log": [
        "contact_id", "guarantor_id", "occurred_at", "channel", "direction", "outcome",
        "promised_amount", "promised_date", "agent_id", "updated_at",
    ],
    "agency_activity": [
        "activity_id", "placement_id", "guarantor_id", "encounter_id", "event", "occurred_at",
        "amount", "updated_at",
    ],
}
FOLDER = {
    "guarantors": "pm", "encounters": "pm", "patient_transactions": "pm", "payment_plans": "pm",
    "disputes": "ops", "hardship": "ops", "contact_log": "ops", "agency_activity": "ops",
}
KEY = {
    "guarantors": "guarantor_id", "encounters": "encounter_id",
    "patient_transactions": "transaction_id", "payment_plans": "plan_id",
    "disputes": "dispute_id", "hardship": "application_id", "contact_log": "contact_id",
    "agency_activity": "activity_id",
}
# Which columns hold what (used by tests and by the writers).
MONEY_COLUMNS = {
    "encounters": ["total_charge"], "patient_transactions": ["amount"],
    "payment_plans": ["total_amount", "installment_amount"], "contact_log": ["promised_amount"],
    "agency_activity": ["amount"],
}
DATE_COLUMNS = {
    "guarantors": ["date_of_birth", "address_verified_at", "deceased_at", "bankruptcy_filed_at"],
    "encounters": ["service_date", "claim_submitted_at"],
    "patient_transactions": ["posted_at"],
    "payment_plans": ["first_due_date"],
    "hardship": ["support_start", "support_end"],
    "contact_log": ["promised_date"],
}
TIMESTAMP_COLUMNS = {
    "guarantors": ["sms_consent_at", "email_consent_at", "card_on_file_consent_at",
                   "sms_opt_out_at", "email_opt_out_at", "updated_at"],
    "encounters": ["updated_at"],
    "patient_transactions": ["updated_at"],
    "payment_plans": ["created_at", "status_changed_at", "updated_at"],
    "disputes": ["opened_at", "resolved_at", "updated_at"],
    "hardship": ["submitted_at", "decided_at", "updated_at"],
    "contact_log": ["occurred_at", "updated_at"],
    "agency_activity": ["occurred_at", "updated_at"],
}
ENUMS = {
    ("guarantors", "preferred_channel"): ["sms", "email", "mail", "phone"],
    ("patient_transactions", "type"): ["payment", "adjustment", "refund", "payment_reversal"],
    ("patient_transactions", "reason"): ["hardship_discount", "settlement", "small_balance",
                                         "prompt_pay", "bad_debt", "admin"],
    ("patient_transactions", "method"): ["card", "card_on_file", "text_to_pay", "portal", "phone",
                                         "check", "cash", "agency"],
    ("payment_plans", "frequency"): ["monthly", "biweekly", "weekly"],
    ("payment_plans", "card_on_file"): ["true", "false"],
    ("payment_plans", "status"): ["active", "completed", "cancelled", "defaulted"],
    ("disputes", "reason"): ["insurance_not_billed", "amount_incorrect", "service_not_received",
                             "billing_error", "other"],
    ("disputes", "resolution"): ["upheld", "corrected", "rejected", "withdrawn"],
    ("hardship", "outcome"): ["pending", "approved", "denied"],
    ("hardship", "relief"): ["reduction", "extended_timeline", "adjusted_minimum"],
    ("contact_log", "channel"): ["call", "sms", "email", "letter", "inbound_call", "portal"],
    ("contact_log", "direction"): ["outbound", "inbound"],
    ("contact_log", "outcome"): ["connected", "voicemail", "no_answer", "wrong_number",
                                 "returned_mail", "delivered", "bounced", "promise_to_pay",
                                 "plan_requested", "dispute_raised", "refused", "complaint"],
    ("agency_activity", "event"): ["acknowledged", "payment", "recall_ack", "closed_paid",
                                   "closed_uncollectible"],
}
TX_TYPES = ENUMS[("patient_transactions", "type")]
TX_REASONS = ENUMS[("patient_transactions", "reason")]
TX_METHODS = ENUMS[("patient_transactions", "method")]
PAYMENT, ADJUSTMENT, REFUND, REVERSAL = range(4)
R_HARDSHIP, R_SETTLEMENT, R_SMALL, R_PROMPT, R_BADDEBT, R_ADMIN = range(6)
M_CARD, M_COF, M_TTP, M_PORTAL, M_PHONE, M_CHECK, M_CASH, M_AGENCY = range(8)
CH_CALL, CH_SMS, CH_EMAIL, CH_LETTER, CH_INBOUND, CH_PORTAL = range(6)
D_OUT, D_IN = range(2)
(O_CONNECTED, O_VOICEMAIL, O_NOANSWER, O_WRONG, O_RETURNED, O_DELIVERED, O_BOUNCED, O_PTP,
 O_PLANREQ, O_DISPUTE, O_REFUSED, O_COMPLAINT) = range(12)
DISPUTE_CHANNELS = ["inbound_call", "portal", "email", "letter"]

# ----------------------------------------------------------------------------- the clinic
CLINIC = x12.Party("LAKESIDE FAMILY HEALTH CLINIC", "XX", "1467352918", "2200 N LAKEVIEW AVE",
                   "CHICAGO", "IL", "606141234")
CLINIC_TIN = "364455667"
CLINIC_RECEIVER_ID = "LAKESIDEFHC"
# id, name, share of insured, claim filing indicator, tax id, payment method, line breaks
PAYERS = [
    ("BCBS01", "BLUE CROSS BLUE SHIELD OF ILLINOIS", 0.30, "12", "361236610", "ACH", False,
     ("300 E RANDOLPH ST", "CHICAGO", "IL", "606015099")),
    ("UHC", "UNITEDHEALTHCARE INSURANCE COMPANY", 0.22, "13", "411289245", "ACH", True,
     ("PO BOX 30555", "SALT LAKE CITY", "UT", "841300555")),
    ("MEDICARE", "MEDICARE PART B JURISDICTION 6", 0.20, "MB", "366000601", "ACH", True,
     ("PO BOX 6475", "INDIANAPOLIS", "IN", "462066475")),
    ("AETNA", "AETNA LIFE INSURANCE COMPANY", 0.18, "12", "060876836", "CHK", False,
     ("PO BOX 981106", "EL PASO", "TX", "799981106")),
    ("CIGNA", "CIGNA HEALTHCARE", 0.10, "HM", "060303370", "ACH", False,
     ("PO BOX 188061", "CHATTANOOGA", "TN", "374228061")),
]
PAYER_IDS = [p[0] for p in PAYERS]
NPAY = len(PAYERS)
SELFPAY = NPAY  # payer index of self-pay
PAYER_LABELS = PAYER_IDS + ["SELFPAY"]

# npi, specialty, location, charge multiplier, cpt codes
PROVIDERS = [
    ("1386719204", "family_medicine", "Main Clinic", 0.8, ("99213", "99214", "36415", "81002")),
    ("1609234871", "family_medicine", "North Campus", 0.8, ("99213", "99214", "90471", "87880")),
    ("1245391786", "pediatrics", "Main Clinic", 0.7, ("99392", "90460", "99213", "96110")),
    ("1932068215", "cardiology", "Heart Center", 1.8, ("93000", "93306", "99204", "93017")),
    ("1770482953", "orthopedics", "North Campus", 1.6, ("73562", "20610", "99203", "29881")),
    ("1518960374", "dermatology", "Main Clinic", 1.0, ("11102", "17000", "99213", "11305")),
    ("1093847562", "radiology", "Imaging Center", 1.4, ("71046", "74177", "70450", "76700")),
    ("1851736409", "internal_medicine", "South Clinic", 1.0, ("99214", "99215", "80053", "85025")),
]
# city, state, zip3, area code, time zone, weight
LOCATIONS = [
    ("Chicago", "IL", "606", "312", "America/Chicago", 30), ("Chicago", "IL", "606", "773", "America/Chicago", 15),
    ("Evanston", "IL", "602", "847", "America/Chicago", 5), ("Naperville", "IL", "605", "630", "America/Chicago", 6),
    ("Oak Park", "IL", "603", "708", "America/Chicago", 4), ("Springfield", "IL", "627", "217", "America/Chicago", 2),
    ("Milwaukee", "WI", "532", "414", "America/Chicago", 6), ("Gary", "IN", "464", "219", "America/Chicago", 3),
    ("Indianapolis", "IN", "462", "317", "America/Indiana/Indianapolis", 3),
    ("Detroit", "MI", "482", "313", "America/Detroit", 2), ("St. Louis", "MO", "631", "314", "America/Chicago", 3),
    ("Minneapolis", "MN", "554", "612", "America/Chicago", 2), ("Houston", "TX", "770", "713", "America/Chicago", 2),
    ("El Paso", "TX", "799", "915", "America/Denver", 1), ("Miami", "FL", "331", "305", "America/New_York", 2),
    ("Pensacola", "FL", "325", "850", "America/Chicago", 1), ("New York", "NY", "100", "212", "America/New_York", 2),
    ("Los Angeles", "CA", "900", "213", "America/Los_Angeles", 2), ("Phoenix", "AZ", "850", "602", "America/Phoenix", 1),
    ("Denver", "CO", "802", "303", "America/Denver", 1), ("Nashville", "TN", "372", "615", "America/Chicago", 1),
    ("Atlanta", "GA", "303", "404", "America/New_York", 1), ("Honolulu", "HI", "968", "808", "Pacific/Honolulu", 0.5),
    ("Anchorage", "AK", "995", "907", "America/Anchorage", 0.5),
    ("Louisville", "KY", "402", "502", "America/Kentucky/Louisville", 1),
    ("Des Moines", "IA", "503", "515", "America/Chicago", 1), ("Columbus", "OH", "432", "614", "America/New_York", 1),
    ("Washington", "DC", "200", "202", "America/New_York", 0.5),
]
FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
         "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
         "Charles", "Karen", "Christopher", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony",
         "Sandra", "Mark", "Margaret", "José", "María", "Luis", "Ana", "Carlos", "Sofía", "Wei", "Mei",
         "Minh", "Linh", "Aisha", "Omar", "Zoë", "Chloé", "Kwame", "Ngozi", "Dmitri", "Olga", "Priya",
         "Arjun", "Hiroshi", "Yuki", "Siobhan", "Seán", "Mateo", "Camila", "Jamal", "Keisha", "Tyler",
         "Brianna", "Mary Ann", "Jean-Luc"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
        "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
        "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez",
        "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen",
        "Hill", "Flores", "O'Brien", "Kowalski", "Nowak", "Müller", "Peña", "Ibáñez", "Nguyễn", "Kim",
        "Park", "Patel", "Shah", "Okafor", "Mensah", "Ivanova", "Schmidt", "Van der Berg", "St. John",
        "Smith-Jones", "Yamamoto", "Cohen"]
STREETS = ["Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Elm St", "Washington Blvd", "Lake Shore Dr",
           "Park Ave", "Pine St", "Lincoln Ave", "Madison St", "Halsted St", "Clark St", "Division St",
           "Western Ave", "Ashland Ave", "Belmont Ave", "Irving Park Rd", "Sheridan Rd", "Cicero Ave"]
LINE2 = ["Apt 1", "Apt 2B", "Apt 3, Rear", "Unit 4", "Unit 12C", "Suite 200, Bldg B", "Apt 5F", "Fl 2",
         "Apt 101", "Unit 7", "#3", "Apt 9A", "Basement Unit", "Apt 14, c/o \"Grandma\" Ruiz"]
EMAIL_DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com"]
LANGS = ["en", "es", "vi", "zh-Hans", "pl", "ar"]


def _ascii(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


FIRST_X12 = [_ascii(n).upper().replace("-", " ") for n in FIRST]
LAST_X12 = [_ascii(n).upper() for n in LAST]
FIRST_MAIL = [_ascii(n).lower().replace(" ", "").replace("-", "") for n in FIRST]
LAST_MAIL = [_ascii(n).lower().replace(" ", "").replace("'", "").replace(".", "").replace("-", "") for n in LAST]

# ----------------------------------------------------------------------------- defects
DEFECTS: list[dict] = [
    {"file": "pm/guarantors_defect_missing_column.csv", "kind": "guarantors", "expected": "quarantine",
     "reason": "missing required column", "column": "last_name", "line": None,
     "bad_ids": ["GDEF0001", "GDEF0002", "GDEF0003"], "good_ids": []},
    # --- patient_transactions: one bad row each, good rows beside them
    *[
        {"file": "pm/patient_transactions_defect_rows.csv", "kind": "patient_transactions",
         "expected": "reject rows", "reason": reason, "column": col, "line": line,
         "bad_ids": [tid], "good_ids": ["TDEF-GOOD-1", "TDEF-GOOD-2", "TDEF-GOOD-3", "TDEF-GOOD-4"]}
        for reason, col, line, tid in [
            ("currency sign", "amount", 3, "TDEF-DOLLAR"),
            ("thousands separator", "amount", 4, "TDEF-THOUSANDS"),
            ("unknown enum", "type", 6, "TDEF-GIFT"),
            ("unknown enum", "method", 7, "TDEF-BITCOIN"),
            ("orphan guarantor", "guarantor_id", 9, "TDEF-ORPHAN"),
            # re-uses the key of a valid history row: the older valid version must stay
            ("negative amount", "amount", 10, "T000000001"),
            ("invalid date", "posted_at", 11, "TDEF-BADDATE"),
            ("missing key", "transaction_id", 13, ""),
        ]
    ],
    *[
        {"file": "pm/encounters_defect_rows.csv", "kind": "encounters", "expected": "reject rows",
         "reason": reason, "column": col, "line": line, "bad_ids": [eid],
         "good_ids": ["EDEF-GOOD-1", "EDEF-GOOD-2", "EDEF-GOOD-3"]}
        for reason, col, line, eid in [
            ("orphan guarantor", "guarantor_id", 3, "EDEF-ORPHAN"),
            ("negative amount", "total_charge", 5, "EDEF-NEGATIVE"),
            ("future date", "service_date", 6, "EDEF-FUTURE"),
            ("missing required value", "patient_id", 7, "EDEF-NOPATIENT"),
        ]
    ],
    *[
        {"file": "pm/guarantors_defect_rows.csv", "kind": "guarantors", "expected": "reject rows",
         "reason": reason, "column": col, "line": line, "bad_ids": [gid],
         "good_ids": ["GDEF-GOOD-1", "GDEF-GOOD-2", "GDEF-GOOD-3"]}
        for reason, col, line, gid in [
            ("unknown enum", "state", 3, "GDEF-STATE-ZZ"),
            ("unknown enum", "preferred_channel", 5, "GDEF-CHANNEL"),
            ("invalid date", "date_of_birth", 6, "GDEF-BADDOB"),
            ("missing required value", "last_name", 7, "GDEF-NOLAST"),
        ]
    ],
    # --- 835s.  ids: ST02 control numbers; the CLP01s are in generate()["defects"].
    {"file": "era/defect_truncated.835", "kind": "era", "expected": "quarantine",
     "reason": "truncated", "column": None, "line": None, "bad_ids": ["0001", "0002"], "good_ids": []},
    {"file": "era/defect_unbalanced.835", "kind": "era", "expected": "held transaction",
     "reason": "unbalanced", "column": "BPR02", "line": None, "bad_ids": ["0001"], "good_ids": ["0002"]},
    {"file": "era/defect_bad_se_count.835", "kind": "era", "expected": "warning",
     "reason": "SE count", "column": "SE01", "line": None, "bad_ids": [], "good_ids": ["0001"]},
    {"file": "era/defect_duplicate_b.835", "kind": "era", "expected": "duplicate",
     "reason": "same SHA-256 as era/defect_duplicate_a.835", "column": None, "line": None,
     "bad_ids": [], "good_ids": ["0001"]},
    {"file": "era/defect_missing_bpr16.835", "kind": "era", "expected": "warning",
     "reason": "BPR16 missing", "column": "BPR16", "line": None, "bad_ids": [], "good_ids": ["0001"]},
    {"file": "era/defect_version_4010.835", "kind": "era", "expected": "warning",
     "reason": "4010 version", "column": "GS08", "line": None, "bad_ids": [], "good_ids": ["0001"]},
    {"file": "era/defect_unknown_segment.835", "kind": "era", "expected": "warning",
     "reason": "unknown segment", "column": "ZZZ", "line": None, "bad_ids": [], "good_ids": ["0001"]},
    {"file": "era/defect_control_mismatch.835", "kind": "era", "expected": "warning",
     "reason": "control number mismatch", "column": "IEA02", "line": None, "bad_ids": [], "good_ids": ["0001"]},
    {"file": "era/defect_unmatched_claim.835", "kind": "era", "expected": "unmatched",
     "reason": "CLP01 matches no encounter", "column": "CLP01", "line": None,
     "bad_ids": ["EDEF-NO-SUCH-ENCOUNTER"], "good_ids": ["0001"]},
]
DEFECT_FILES = sorted({d["file"] for d in DEFECTS} | {"era/defect_duplicate_a.835"})


# ============================================================================= formatting
def d2i(d: date) -> int:
    return (d - EPOCH).days


def i2d(i: int) -> date:
    return EPOCH + timedelta(days=int(i))


def _join(*parts):
    return pc.binary_join_element_wise(*parts, "")


def _null_where(arr: pa.Array, mask) -> pa.Array:
    mask = np.asarray(mask, bool)
    if not mask.any():
        return arr
    return pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), arr)


def money_str(cents) -> pa.Array:
    return x12.money_x12(cents)


class Fmt:
    """Date / timestamp formatting by table look-up (fast for millions of rows)."""

    def __init__(self, tz: str, lo: int, hi: int):
        self.lo, self.hi = lo, hi
        days = np.arange(lo, hi + 1)
        dstr = np.datetime_as_string(days.astype("datetime64[D]")).tolist()
        self.dates = pa.array(dstr)
        self.dates_t = pa.array([d + "T" for d in dstr])
        self.compact = pa.array([d.replace("-", "") for d in dstr])
        z = ZoneInfo(tz)
        offs = []
        for d in days.tolist():
            dd = i2d(d)
            offs.append(int(datetime(dd.year, dd.month, dd.day, 12, tzinfo=z).utcoffset().total_seconds()))
        self.off_sec = np.array(offs, np.int64)
        self.off_str = pa.array([self._off(o) for o in offs])
        self.times = pa.array([f"{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}" for t in range(86400)])

    @staticmethod
    def _off(o: int) -> str:
        sign = "+" if o >= 0 else "-"
        o = abs(o)
        return f"{sign}{o // 3600:02d}:{(o % 3600) // 60:02d}"

    def _idx(self, days):
        i = np.asarray(days, np.int64) - self.lo
        return np.clip(i, 0, self.hi - self.lo)

    def date(self, days) -> pa.Array:
        days = np.asarray(days, np.int64)
        out = pc.take(self.dates, pa.array(self._idx(days)))
        return _null_where(out, days < 0)

    def date_any(self, days) -> pa.Array:
        days = np.asarray(days, np.int64)
        s = pc.cast(pa.array(np.maximum(days, -10 ** 5).astype(np.int32)).cast(pa.date32()), pa.string())
        return _null_where(s, days == -1)

    def yyyymmdd(self, days) -> pa.Array:
        return pc.take(self.compact, pa.array(self._idx(days)))

    def ts(self, days, secs, utc: bool = False) -> pa.Array:
        days = np.asarray(days, np.int64)
        secs = np.asarray(secs, np.int64)
        i = self._idx(days)
        if utc:
            t = days * 86400 + secs - self.off_sec[i]
            ud, us = t // 86400, t % 86400
            out = _join(pc.take(self.dates_t, pa.array(self._idx(ud))), pc.take(self.times, pa.array(us)), "Z")
        else:
            ia = pa.array(i)
            out = _join(pc.take(self.dates_t, ia), pc.take(self.times, pa.array(secs)), pc.take(self.off_str, ia))
        return _null_where(out, days < 0)

    def ts_scalar(self, day: int, sec: int) -> str:
        return self.ts(np.array([day]), np.array([sec])).to_pylist()[0]


def ids(prefix: str, nums, width: int) -> pa.Array:
    nums = np.asarray(nums, np.int64)
    s = _join(prefix, pc.utf8_lpad(pc.cast(pa.array(np.maximum(nums, 0)), pa.string()), width=width, padding="0"))
    return _null_where(s, nums < 0)


def enum(codes, labels) -> pa.Array:
    codes = np.asarray(codes, np.int64)
    return pc.take(pa.array(labels), pa.array(codes, mask=codes < 0))


def pick(labels, idx) -> pa.Array:
    return pc.take(pa.array(labels), pa.array(np.asarray(idx, np.int64)))


# Column specifications: small tuples formatted lazily so that rows can be selected
# (history / delta / previous versions) before any string is built.
class Spec:
    """A lazily formatted table: name -> (kind, *arrays)."""

    def __init__(self, cols: dict):
        self.cols = cols

    def take(self, idx) -> "Spec":
        idx = np.asarray(idx, np.int64)
        out = {}
        for k, v in self.cols.items():
            kind = v[0]
            if kind == "arrow":
                out[k] = ("arrow", v[1].take(pa.array(idx)))
            elif kind in ("id", "enum"):
                out[k] = (kind, v[1], v[2][idx], v[3])
            elif kind == "ts":
                out[k] = ("ts", v[1][idx], v[2][idx], v[3])
            elif kind == "money":
                out[k] = ("money", v[1][idx], v[2][idx])
            elif kind == "int":
                out[k] = ("int", v[1][idx])
            else:  # date, date_any
                out[k] = (kind, v[1][idx])
        return Spec(out)

    def replace(self, **cols) -> "Spec":
        d = dict(self.cols)
        d.update(cols)
        return Spec(d)

    def __len__(self):
        v = next(iter(self.cols.values()))
        return len(v[1]) if v[0] == "arrow" else len(v[2] if v[0] in ("id", "enum") else v[1])

    def format(self, f: Fmt, order: list[str]) -> pa.Table:
        arrays = []
        for name in order:
            v = self.cols[name]
            kind = v[0]
            if kind == "arrow":
                a = v[1]
            elif kind == "id":
                a = ids(v[1], v[2], v[3])
            elif kind == "enum":
                a = enum(v[2], v[1]) if v[3] is None else _null_where(enum(v[2], v[1]), v[3])
            elif kind == "date":
                a = f.date(v[1])
            elif kind == "date_any":
                a = f.date_any(v[1])
            elif kind == "ts":
                a = f.ts(v[1], v[2], utc=v[3])
            elif kind == "money":
                a = _null_where(money_str(np.maximum(v[1], 0)), v[2])
            elif kind == "int":
                vals = np.asarray(v[1], np.int64)
                a = _null_where(pc.cast(pa.array(np.maximum(vals, 0)), pa.string()), vals < 0)
            else:
                raise ValueError(kind)
            arrays.append(a)
        return pa.Table.from_arrays(arrays, names=order)


def ID(prefix, nums, width):
    return ("id", prefix, np.asarray(nums, np.int64), width)


def EN(labels, codes, null=None):
    return ("enum", labels, np.asarray(codes, np.int64), null)


def TS(days, secs, utc=False):
    return ("ts", np.asarray(days, np.int64), np.asarray(secs, np.int64), utc)


def DT(days):
    return ("date", np.asarray(days, np.int64))


def MONEY(cents, null=None):
    cents = np.asarray(cents, np.int64)
    return ("money", cents, np.zeros(len(cents), bool) if null is None else np.asarray(null, bool))


def AR(arr):
    return ("arrow", arr)


_WRITE_OPTS = pacsv.WriteOptions(quoting_style="needed", batch_size=65536)


def write_csv(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(table, str(path), write_options=_WRITE_OPTS)


# ============================================================================= randomness
class R:
    """Thin helpers over one Generator (order of calls = determinism)."""

    def __init__(self, seed: int):
        self.g = np.random.default_rng(seed)

    def u(self, n):
        return self.g.random(n)

    def b(self, p, n):
        return self.g.random(n) < p

    def ri(self, lo, hi, n=None):
        """Inclusive integers; lo/hi may be arrays (hi >= lo where used)."""
        lo = np.asarray(lo, np.int64)
        hi = np.asarray(hi, np.int64)
        if n is None:
            n = np.broadcast(lo, hi).shape[0] if (lo.ndim or hi.ndim) else 1
        span = np.maximum(hi - lo + 1, 1)
        return lo + np.floor(self.g.random(n) * span).astype(np.int64)

    def choice(self, k, p, n):
        p = np.asarray(p, float)
        c = np.cumsum(p / p.sum())
        return np.minimum(np.searchsorted(c, self.g.random(n), side="right"), k - 1).astype(np.int64)


def _secs(r: R, n, lo_h=8.0, hi_h=18.0):
    return r.ri(int(lo_h * 3600), int(hi_h * 3600) - 1, n)


# ============================================================================= the model
class Tx:
    """Accumulates patient_transactions rows as arrays."""

    fields = ("g", "e", "day", "type", "reason", "amount", "method", "plan", "src")

    def __init__(self):
        self.parts = {k: [] for k in self.fields}

    def add(self, *, g, e, day, type, amount, reason=-1, method=-1, plan=-1, src=0, mask=None):
        g = np.asarray(g, np.int64)
        n = len(g)
        vals = dict(g=g, e=e, day=day, type=type, reason=reason, amount=amount, method=method, plan=plan, src=src)
        m = np.ones(n, bool) if mask is None else np.asarray(mask, bool)
        amt = np.broadcast_to(np.asarray(amount, np.int64), (n,))
        m = m & (amt > 0)
        for k, v in vals.items():
            self.parts[k].append(np.broadcast_to(np.asarray(v, np.int64), (n,))[m])

    def arrays(self):
        out = {}
        for k, v in self.parts.items():
            out[k] = np.concatenate(v) if len(v) > 1 else (v[0] if v else np.zeros(0, np.int64))
            self.parts[k] = [out[k]]
        return out


class Contacts:
    fields = ("g", "day", "sec", "channel", "direction", "outcome", "pamount", "pdate", "agent")

    def __init__(self):
        self.parts = {k: [] for k in self.fields}

    def add(self, *, g, day, sec, channel, direction, outcome, pamount=-1, pdate=-1, agent=-1, mask=None):
        g = np.asarray(g, np.int64)
        n = len(g)
        m = np.ones(n, bool) if mask is None else np.asarray(mask, bool)
        vals = dict(g=g, day=day, sec=sec, channel=channel, direction=direction, outcome=outcome,
                    pamount=pamount, pdate=pdate, agent=agent)
        for k, v in vals.items():
            self.parts[k].append(np.broadcast_to(np.asarray(v, np.int64), (n,))[m])

    def arrays(self):
        out = {}
        for k, v in self.parts.items():
            out[k] = np.concatenate(v) if len(v) > 1 else (v[0] if v else np.zeros(0, np.int64))
            self.parts[k] = [out[k]]
        return out


def _first_per_group(keys_sorted: np.ndarray) -> np.ndarray:
    """Indices of the first row of each run in a sorted key array."""
    if len(keys_sorted) == 0:
        return np.zeros(0, np.int64)
    return np.flatnonzero(np.r_[True, keys_sorted[1:] != keys_sorted[:-1]])


def _add_months(days, months):
    d = np.asarray(days, np.int64).astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(np.int64)
    m2 = m + np.asarray(months, np.int64)
    nxt = (m2 + 1).astype("datetime64[D]").astype(np.int64)
    start = m2.astype("datetime64[D]").astype(np.int64)
    return np.minimum(start + dom, nxt - 1)


# ============================================================================= generate
def generate(
    out_dir: Path,
    guarantors: int = 5000,
    seed: int = 7,
    as_of: date = date(2026, 11, 20),
    days: int = 200,
    delta_days: int = 1,
    defects: bool = False,
    clinic_tz: str = "America/Chicago",
    progress: Callable[[str], None] | None = None,
    force: bool = False,
) -> dict:
    """Write a sample landing zone under ``out_dir``; return summary counts."""
    t0 = time.perf_counter()
    say = progress or (lambda s: None)
    out = Path(out_dir)
    _prepare_out(out, force)
    if guarantors < 1:
        raise ValueError("guarantors must be >= 1")
    if days < 30:
        raise ValueError("days must be >= 30")
    if not 1 <= delta_days <= days // 2:
        raise ValueError("delta_days must be between 1 and days / 2")

    r = R(seed)
    A = d2i(as_of)                # as-of day number
    S = A - days                  # first day of history
    f = Fmt(clinic_tz, S - 365 * 6, A + 800)
    NG = guarantors
    W = A - delta_days + 1        # first delta day: files dated W..A, history before W

    # ------------------------------------------------------------------ encounters (1)
    n_enc = 1 + r.g.poisson(1.5, NG)
    NE = int(n_enc.sum())
    eg = np.repeat(np.arange(NG, dtype=np.int64), n_enc)
    sd = r.ri(S, A, NE)
    dow = (sd + 3) % 7
    shift = r.b(0.85, NE)
    sd = np.where((dow == 5) & shift, sd - 1, sd)
    sd = np.where((dow == 6) & shift, np.where(sd + 1 <= A, sd + 1, sd - 2), sd)
    sd = np.clip(sd, S, A)
    # a few legacy self-pay visits from before the window (old open balances: 121+ bucket,
    # credit-bureau age); they sit in the history file like any other encounter
    lg = np.flatnonzero(r.b(0.006, NG))
    eg = np.r_[eg, lg]
    sd = np.r_[sd, A - r.ri(365, 540, len(lg))]
    legacy = np.r_[np.zeros(NE, bool), np.ones(len(lg), bool)]
    NE = len(eg)
    order = np.lexsort((eg, sd))
    eg, sd, legacy = eg[order], sd[order], legacy[order]
    say(f"guarantors {NG:,} … encounters {NE:,}")

    g_first = np.full(NG, A + 1, np.int64)
    np.minimum.at(g_first, eg, sd)
    g_last = np.full(NG, S - 1, np.int64)
    np.maximum.at(g_last, eg, sd)
    # last visit strictly before as_of (address verification at check-in)
    prev_visit = np.where(sd < A, sd, -1)
    g_last_before = np.full(NG, -1, np.int64)
    np.maximum.at(g_last_before, eg, prev_visit)

    # ------------------------------------------------------------------ guarantors
    G = _make_guarantors(r, NG, A, g_first, g_last, g_last_before)

    # coverage: per guarantor, inherited by encounters (5% vary)
    ins_w = np.array([p[2] for p in PAYERS])
    g_payer = np.where(r.b(0.15, NG), SELFPAY, r.choice(NPAY, ins_w, NG))
    g_sec = np.where((g_payer != SELFPAY) & r.b(0.20, NG), r.choice(NPAY, ins_w, NG), -1)
    g_sec = np.where(g_sec == g_payer, (g_payer + 1 + r.ri(0, NPAY - 2, NG)) % NPAY, g_sec)
    vary = r.b(0.05, NE)
    e_payer = np.where(vary, r.choice(NPAY + 1, list(ins_w * 0.85) + [0.15], NE), g_payer[eg])
    e_payer = np.where(legacy, SELFPAY, e_payer)
    e_sec = np.where(vary | (e_payer == SELFPAY), -1, g_sec[eg])
    ins = e_payer != SELFPAY

    prov = r.choice(len(PROVIDERS), [3, 2, 2, 1, 1, 1, 1, 2], NE)
    mult = np.array([p[3] for p in PROVIDERS])[prov]
    raw = np.exp(r.g.normal(np.log(260.0), 0.75, NE)) * mult
    raw = np.where(legacy, raw * 2.5, raw)
    raw = np.clip(raw, 80, 4800)
    charge = np.where(r.b(0.7, NE), np.round(raw) * 100, np.round(raw * 100)).astype(np.int64)
    pat_k = r.choice(3, [0.6, 0.25, 0.15], NE)
    pat_num = eg * 3 + pat_k + 1
    pat_first = np.where(pat_k == 0, G["first"][eg], r.ri(0, len(FIRST) - 1, NE))

    e_sec_of_day = _secs(r, NE, 8, 17)
    sub_lag = np.minimum(r.g.geometric(0.45, NE), 9)
    sub_day = np.where(ins & (sd + sub_lag <= A), sd + sub_lag, -1)
    sub_sec = r.ri(18 * 3600, 22 * 3600, NE)

    adj = _adjudicate(r, A, NE, eg, ins, charge, sd, sub_day, e_payer, e_sec, prov)
    C = adj["C"]
    tx, ct, plans, disputes, hardship, agency, bal_e = _patient_side(r, A, NG, NE, G, eg, sd, ins, charge, g_first, adj)
    del adj
    say(f"patient flows … {len(tx.arrays()['g']):,} postings")

    # ------------------------------------------------------------------ finalise guarantors
    T = tx.arrays()
    _finalise_guarantors(r, G, A, S, T, plans, ct)

    # ------------------------------------------------------------------ write CSVs
    written: dict = {}
    spec_g, old_g, upd_g, created_g = _guarantor_spec(G, A, W)
    written["guarantors"] = _write_kind(out, f, "guarantors", spec_g, old_g, upd_g, created_g, A, W)

    spec_e = Spec({
        "encounter_id": ID("E", np.arange(1, NE + 1), 9),
        "guarantor_id": ID("G", eg + 1, 8),
        "patient_id": ID("P", pat_num, 9),
        "service_date": DT(sd),
        "provider_npi": AR(pick([p[0] for p in PROVIDERS], prov)),
        "location": AR(pick([p[2] for p in PROVIDERS], prov)),
        "specialty": AR(pick([p[1] for p in PROVIDERS], prov)),
        "total_charge": MONEY(charge),
        "primary_payer_id": EN(PAYER_LABELS, e_payer),
        "secondary_payer_id": EN(PAYER_LABELS, e_sec),
        "claim_submitted_at": DT(sub_day),
        "updated_at": TS(np.where(sub_day >= 0, sub_day, sd), np.where(sub_day >= 0, sub_sec, e_sec_of_day)),
    })
    upd_e = np.where(sub_day >= 0, sub_day, sd)
    old_e = spec_e.replace(claim_submitted_at=DT(np.full(NE, -1)), updated_at=TS(sd, e_sec_of_day))
    written["encounters"] = _write_kind(out, f, "encounters", spec_e, old_e, upd_e, sd, A, W)
    say(f"encounters written … {NE:,}")

    # transactions: chronological ids
    T = tx.arrays()
    NT = len(T["g"])
    tsec = np.where(np.isin(T["method"], [M_PORTAL, M_TTP]), r.ri(7 * 3600, 23 * 3600 - 1, NT), _secs(r, NT, 8, 18))
    tsec = np.where(T["src"] == 1, np.minimum(e_sec_of_day[np.maximum(T["e"], 0)] + 600, 86399), tsec)
    o = np.lexsort((T["e"], T["g"], tsec, T["day"]))
    T = {k: v[o] for k, v in T.items()}
    tsec = tsec[o]
    assert (T["day"] <= A).all() and (T["amount"] > 0).all()
    spec_t = Spec({
        "transaction_id": ID("T", np.arange(1, NT + 1), 9),
        "guarantor_id": ID("G", T["g"] + 1, 8),
        "encounter_id": ID("E", np.where(T["e"] >= 0, T["e"] + 1, -1), 9),
        "posted_at": DT(T["day"]),
        "type": EN(TX_TYPES, T["type"]),
        "reason": EN(TX_REASONS, T["reason"]),
        "amount": MONEY(T["amount"]),
        "method": EN(TX_METHODS, T["method"]),
        "plan_id": ID("PP", np.where(T["plan"] >= 0, T["plan"] + 1, -1), 7),
        "updated_at": TS(T["day"], tsec),
    })
    written["patient_transactions"] = _write_kind(out, f, "patient_transactions", spec_t, None, T["day"], T["day"], A, W)
    say(f"patient_transactions written … {NT:,}")

    written["payment_plans"] = _write_kind(out, f, "payment_plans", *plans["spec"], A, W)
    written["disputes"] = _write_kind(out, f, "disputes", *disputes["spec"], A, W)
    written["hardship"] = _write_kind(out, f, "hardship", *hardship["spec"], A, W)
    cs = _contact_spec(ct)
    written["contact_log"] = _write_kind(out, f, "contact_log", *cs, A, W)
    written["agency_activity"] = _write_kind(out, f, "agency_activity", *agency["spec"], A, W)

    # ------------------------------------------------------------------ SendGrid
    sg = _sendgrid(r, out, f, A, G, ct)

    # ------------------------------------------------------------------ 835s
    era = _write_era(out, f, r, C, G, eg, pat_first, pat_num, sd, say, seed, A)

    summary = {
        "guarantors": NG,
        "as_of": as_of.isoformat(),
        "seed": seed,
        "rows": {k: v["history"] + v["delta"] for k, v in written.items()},
        "files": {k: v for k, v in written.items()},
        "era_files": era["files"],
        "era_transactions": era["transactions"],
        "era_claims": era["claims"],
        "sendgrid_files": sg["files"],
        "sendgrid_events": sg["events"],
    }
    summary["servicing_showcase"] = _servicing_showcase(out, as_of)
    if defects:
        summary["defects"] = _write_defects(out, f, r, A, G, eg, sd, charge, T, bal_e, C, era, pat_first, pat_num)
    _stamp_arrivals(out, i2d(W - 1), clinic_tz)
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    say(f"done in {summary['seconds']} s")
    return summary


# ============================================================================= servicing showcase
def _month_shift(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m + 1, min(d.day, calendar.monthrange(d.year + y, m + 1)[1]))


def _servicing_showcase(out: Path, as_of: date) -> dict[str, int]:
    """A few hand-placed guarantors, appended to the history files, so that the sample
    clinic's first daily run makes every segment move of issue 9, whatever the random flows
    give on the as-of date: a plan offer (high_value_engaged), a plan reminder two days before
    an installment, a card-on-file charge due today, a plan confirmation in statement 2's slot,
    a hardship review notice 30 days before support_end, a dispute review, a refund
    confirmation, a hardship application form and a decision letter, and a day-25 call whose
    opener offers the plan. Ids sit far above the
    generated ones (G9000000x, E90000000x, T90000000x, PP900000x, HA900000x, DS9000001); every
    value is dated before the as-of date, so the history/delta split holds."""
    d = lambda n: (as_of + timedelta(days=n)).isoformat()                       # noqa: E731
    ts = lambda n, h=15: f"{d(n)}T{h:02d}:00:00Z"                               # noqa: E731
    rows: dict[str, list[dict]] = {k: [] for k in COLUMNS}
    people = [("G90000001", "Avery", "Planmaker"), ("G90000002", "Blake", "Reminder"),
              ("G90000003", "Casey", "Cardholder"), ("G90000004", "Devon", "Confirmed"),
              ("G90000005", "Emery", "Reviewed"), ("G90000006", "Finley", "Doubtful"),
              ("G90000007", "Gray", "Refunded"), ("G90000008", "Harper", "Applicant"),
              ("G90000009", "Indigo", "Decided"), ("G90000010", "Jordan", "Caller")]
    for n, (gid, first, last) in enumerate(people, 1):
        rows["guarantors"].append({
            "guarantor_id": gid, "household_id": gid, "first_name": first, "last_name": last,
            "address_line1": f"{100 + n} Servicing Way", "city": "Springfield", "state": "IL",
            "postal_code": "62701", "phone": f"(217) 555-01{60 + n}",
            "email": f"{first.lower()}.{last.lower()}@example.com", "language": "en",
            "sms_consent_at": ts(-300), "email_consent_at": ts(-300),
            "card_on_file_consent_at": ts(-40) if gid == "G90000003" else "",
            "address_verified_at": d(-300), "updated_at": ts(-2)})
        if gid == "G90000010":          # phone only: the plan offer goes through the call list
            rows["guarantors"][-1].update(address_line1="", sms_consent_at="", email_consent_at="")

    def enc(n, gid, age, charge):
        rows["encounters"].append({
            "encounter_id": f"E{900000000 + n}", "guarantor_id": gid, "patient_id": f"P{900000000 + n}",
            "service_date": d(-age), "total_charge": charge, "primary_payer_id": "SELFPAY",
            "updated_at": ts(-age)})

    def pay(n, gid, e, day, amount, plan="", type="payment"):
        rows["patient_transactions"].append({
            "transaction_id": f"T{900000000 + n}", "guarantor_id": gid, "encounter_id": e,
            "posted_at": d(day), "type": type, "amount": amount,
            "method": "card_on_file" if plan == "PP9000002" else "portal", "plan_id": plan,
            "updated_at": ts(day)})

    def plan(pid, gid, created, amount, count, first_due, card):
        rows["payment_plans"].append({
            "plan_id": pid, "guarantor_id": gid, "created_at": ts(created), "approved_by": "S001",
            "total_amount": f"{float(amount) * count:.2f}", "installment_amount": amount,
            "installment_count": str(count), "first_due_date": first_due.isoformat(),
            "frequency": "monthly", "card_on_file": card, "status": "active",
            "status_changed_at": ts(created), "updated_at": ts(created)})

    # plan offer: 45 days old, 1,800 self-pay, paid 25 ten days ago (a response)
    enc(1, "G90000001", 45, "1800.00")
    pay(1, "G90000001", "E900000001", -10, "25.00")
    # plan reminder: installment 2 of 3 due in two days, installment 1 paid
    enc(2, "G90000002", 60, "600.00")
    due2 = _month_shift(as_of + timedelta(days=2), -1)
    plan("PP9000001", "G90000002", -40, "200.00", 3, due2, "false")
    pay(2, "G90000002", "E900000002", (due2 - as_of).days, "200.00", "PP9000001")
    # card-on-file charge: installment 2 of 3 due today, installment 1 paid by card
    enc(3, "G90000003", 60, "450.00")
    due3 = _month_shift(as_of, -1)
    plan("PP9000002", "G90000003", -40, "150.00", 3, due3, "true")
    pay(3, "G90000003", "E900000003", (due3 - as_of).days, "150.00", "PP9000002")
    # plan confirmation: 40 days old (statement 2 due), a plan whose first payment is ahead
    enc(4, "G90000004", 40, "500.00")
    plan("PP9000003", "G90000004", -5, "250.00", 2, as_of + timedelta(days=10), "false")
    # hardship review: approved support ending in 20 days
    enc(5, "G90000005", 200, "300.00")
    rows["hardship"].append({
        "application_id": "HA9000001", "guarantor_id": "G90000005", "submitted_at": ts(-170),
        "decided_at": ts(-165), "outcome": "approved", "relief": "extended_timeline",
        "support_start": d(-165), "support_end": d(20), "verified_by": "S001",
        "updated_at": ts(-165)})
    # dispute review: an open dispute on a visit, opened four days ago
    enc(6, "G90000006", 30, "220.00")
    rows["disputes"].append({
        "dispute_id": "DS9000001", "guarantor_id": "G90000006", "encounter_id": "E900000006",
        "opened_at": ts(-4), "channel": "phone", "reason": "amount_incorrect", "updated_at": ts(-4)})
    # refund confirmation: overpaid by 50, refunded three days ago
    enc(7, "G90000007", 90, "100.00")
    pay(4, "G90000007", "E900000007", -60, "150.00")
    pay(5, "G90000007", "E900000007", -3, "50.00", type="refund")
    # hardship application (pending since three days ago) and a decision (denied two days ago)
    enc(8, "G90000008", 50, "700.00")
    enc(9, "G90000009", 50, "700.00")
    rows["hardship"] += [
        {"application_id": "HA9000002", "guarantor_id": "G90000008", "submitted_at": ts(-3),
         "outcome": "pending", "updated_at": ts(-3)},
        {"application_id": "HA9000003", "guarantor_id": "G90000009", "submitted_at": ts(-12),
         "decided_at": ts(-2), "outcome": "denied", "verified_by": "S002", "updated_at": ts(-2)}]
    # the day-25 call of a high_value_engaged guarantor reachable by phone only: the call
    # list opener carries the plan offer (the offer letter and e-mail are blocked)
    enc(10, "G90000010", 32, "1500.00")
    pay(6, "G90000010", "E900000010", -5, "25.00")
    counts = {}
    for kind, new in rows.items():
        if not new:
            continue
        path = out / FOLDER[kind] / f"{kind}_history.csv"
        with path.open("a", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=COLUMNS[kind], lineterminator="\n")
            for r in new:
                w.writerow({c: r.get(c, "") for c in COLUMNS[kind]})
        counts[kind] = len(new)
    return counts


# ============================================================================= model pieces
def _adjudicate(r: R, A: int, NE: int, eg, ins, charge, sd, sub_day, e_payer, e_sec, prov) -> dict:
    """Insurance adjudications (835 claims) and the resulting patient responsibility."""
    # ------------------------------------------------------------------ adjudication
    d1 = sd + np.round(r.g.triangular(10, 17, 40, NE)).astype(np.int64)
    adj1 = ins & (sub_day >= 0) & (d1 <= A)
    allowed = np.round(charge * (0.40 + 0.45 * r.u(NE))).astype(np.int64)
    copay_plan = np.where(r.b(0.45, NE), np.array([2000, 2500, 3000, 4000, 5000])[r.ri(0, 4, NE)], 0)
    pr3 = np.minimum(copay_plan, allowed)
    rem = allowed - pr3
    pr1 = np.where(r.b(0.30, NE), np.minimum(rem, np.where(r.b(0.2, NE), r.ri(600, 2500, NE), r.ri(50, 600, NE)) * 100), 0)
    rem2 = rem - pr1
    coins = np.array([0.0, 0.1, 0.2, 0.3])[r.choice(4, [0.25, 0.2, 0.4, 0.15], NE)]
    coins = np.where(e_payer == PAYER_IDS.index("MEDICARE"), 0.2, coins)
    pr2 = np.round(rem2 * coins).astype(np.int64)
    paid1 = rem2 - pr2
    co45 = charge - allowed
    prt1 = pr1 + pr2 + pr3
    denied = adj1 & r.b(0.05, NE)
    den_pr = denied & r.b(0.5, NE)
    den_co_code = r.ri(0, 2, NE)  # CO-50 / CO-97 / CO-29
    # patient responsibility of the primary adjudication
    resp1 = np.where(denied, np.where(den_pr, charge, 0), prt1)
    # secondary
    d2 = d1 + r.ri(7, 30, NE)
    has2 = adj1 & ~denied & (e_sec >= 0) & (prt1 > 0) & (d2 <= A)
    resp2 = np.where(r.b(0.4, NE), 0, np.round(prt1 * (0.05 + 0.35 * r.u(NE))).astype(np.int64))
    resp2 = np.minimum(resp2, prt1)
    paid2 = prt1 - resp2
    b3 = np.minimum(pr3, resp2)
    b1 = np.minimum(pr1, resp2 - b3)
    b2 = resp2 - b3 - b1
    st1_19 = adj1 & ~denied & (e_sec >= 0) & r.b(0.3, NE)
    # reversal + corrected re-adjudication
    rev_el = adj1 & ~denied & (e_sec < 0)
    rev = rev_el & r.b(0.03, NE)
    rday = d1 + r.ri(10, 60, NE)
    rev &= rday <= A
    same_day = r.b(0.65, NE)
    cday = np.where(same_day, rday, rday + r.ri(5, 30, NE))
    # ... and a few primaries reprocessed after the secondary paid (the secondary still stands)
    rev2 = has2 & r.b(0.04, NE)
    r2day = d2 + r.ri(10, 40, NE)
    rev2 &= r2day <= A
    rev = rev | rev2
    rday = np.where(rev2, r2day, rday)
    cday = np.where(rev2, r2day, cday)
    corr = rev & (cday <= A)
    same_clp07 = r.b(0.5, NE)
    extra = np.round(co45 * (0.05 + 0.35 * r.u(NE))).astype(np.int64)
    shift_pr = np.where(r.b(0.4, NE), np.round(prt1 * (0.2 + 0.6 * r.u(NE))).astype(np.int64), 0)
    s2 = np.minimum(pr2, shift_pr)
    s1 = np.minimum(pr1, shift_pr - s2)
    s3 = shift_pr - s2 - s1
    c_pr1, c_pr2, c_pr3 = pr1 - s1, pr2 - s2, pr3 - s3
    c_co45 = co45 - extra
    c_paid = paid1 + extra + shift_pr
    c_resp = c_pr1 + c_pr2 + c_pr3

    # effective patient responsibility per encounter
    selfpay = ~ins
    pending = ins & ~adj1
    resp = np.where(selfpay, charge, resp1)
    rday_e = np.where(selfpay, sd, d1)
    resp = np.where(corr, c_resp, resp)
    rday_e = np.where(corr, cday, rday_e)
    pending = pending | (rev & ~corr)
    resp = np.where(has2, resp2, resp)
    rday_e = np.where(has2, d2, rday_e)
    resp = np.where(pending, 0, resp)
    rday_e = np.where(pending, -1, rday_e)

    # ------------------------------------------------------------------ claims table
    C = _claims_table(
        r, NE, eg=eg, e_payer=e_payer, e_sec=e_sec, charge=charge, d1=d1, adj1=adj1, denied=denied,
        den_pr=den_pr, den_co_code=den_co_code, st1_19=st1_19, co45=co45, pr1=pr1, pr2=pr2, pr3=pr3,
        paid1=paid1, has2=has2, d2=d2, paid2=paid2, resp2=resp2, b1=b1, b2=b2, b3=b3, rev=rev,
        rday=rday, corr=corr, cday=cday, same_clp07=same_clp07, c_co45=c_co45, c_pr1=c_pr1,
        c_pr2=c_pr2, c_pr3=c_pr3, c_paid=c_paid, prov=prov,
    )

    selfpay = ~ins
    return dict(C=C, resp=resp, rday_e=rday_e, pending=pending, resp1=resp1, resp2=resp2, d1=d1, d2=d2,
                has2=has2, copay_plan=copay_plan)


def _patient_side(r: R, A: int, NG: int, NE: int, G: dict, eg, sd, ins, charge, g_first, adj: dict):
    """Patient postings, plans, disputes, hardship, promises, settlements, agency, contacts."""
    resp, rday_e, pending = adj["resp"], adj["rday_e"], adj["pending"]
    resp1, resp2, d1, d2, has2 = adj["resp1"], adj["resp2"], adj["d1"], adj["d2"], adj["has2"]
    copay_plan = adj["copay_plan"]
    selfpay = ~ins
    # ------------------------------------------------------------------ patient side
    tx = Tx()
    ct = Contacts()
    behav = r.choice(3, [0.42, 0.34, 0.24], NG)          # 0 fast, 1 slow, 2 silent
    FAST, SLOW, SILENT = 0, 1, 2
    eb = behav[eg]

    # copays at the front desk (before adjudication) and self-pay deposits
    cop = np.where(ins & (copay_plan > 0) & r.b(0.8, NE), copay_plan, 0)
    est = ins & (copay_plan == 0) & r.b(0.08, NE)
    cop = np.where(est, np.array([2500, 3000, 4000, 5000])[r.ri(0, 3, NE)], cop)
    cop = np.where(cop > 0, np.where(r.b(0.1, NE), cop + 1000, cop), cop)   # over-collected sometimes
    dep = np.where(selfpay & r.b(0.2, NE), np.round(charge * (0.2 + 0.3 * r.u(NE)) / 100).astype(np.int64) * 100, 0)
    front = cop + dep
    fm = np.array([M_CARD, M_CASH, M_CHECK])[r.choice(3, [0.7, 0.2, 0.1], NE)]
    tx.add(g=eg, e=np.arange(NE), day=sd, type=PAYMENT, amount=front, method=fm, src=1)

    due = np.where(pending, 0, resp - front)          # what the patient still owes (can be < 0)
    settled = ~pending & (rday_e >= 0)
    age = np.where(settled, A - rday_e, -1)

    # credits from the front desk -> refunds
    credit = settled & (due < 0)
    rf_day = rday_e + r.ri(3, 20, NE)
    rf_method = np.where(fm == M_CARD, M_CARD, M_CHECK)
    tx.add(g=eg, e=np.arange(NE), day=rf_day, type=REFUND, amount=-due, method=rf_method,
           mask=credit & (rf_day <= A) & r.b(0.85, NE), src=2)

    # special flows on one encounter per guarantor (largest amount owed)
    open_e = settled & (due > 0)
    cand = np.flatnonzero(open_e)
    o = cand[np.lexsort((cand, -due[cand], eg[cand]))]
    first = o[_first_per_group(eg[o])]
    flow_e = np.full(NG, -1, np.int64)
    flow_e[eg[first]] = first
    has_flow_e = flow_e >= 0
    fe = np.where(has_flow_e, flow_e, 0)
    f_due = np.where(has_flow_e, due[fe], 0)
    f_age = np.where(has_flow_e, age[fe], -1)
    u = r.u(NG)
    FLOW_NONE, FLOW_PLAN, FLOW_DISPUTE, FLOW_HARDSHIP, FLOW_PROMISE, FLOW_SETTLE, FLOW_AGENCY = range(7)
    flow = np.zeros(NG, np.int64)
    flow = np.where(has_flow_e & (f_due >= 10000) & (f_age >= 15) & (u < 0.20), FLOW_PLAN, flow)
    flow = np.where(has_flow_e & (f_age >= 3) & (u >= 0.20) & (u < 0.245), FLOW_DISPUTE, flow)
    flow = np.where(has_flow_e & (f_age >= 10) & (u >= 0.245) & (u < 0.28), FLOW_HARDSHIP, flow)
    flow = np.where(has_flow_e & (f_age >= 10) & (u >= 0.28) & (u < 0.34), FLOW_PROMISE, flow)
    u2 = r.u(NG)
    silent = behav == SILENT
    flow = np.where(has_flow_e & (flow == 0) & silent & (f_age >= 125) & (u2 < 0.12), FLOW_SETTLE, flow)
    flow = np.where(has_flow_e & (flow == 0) & silent & (f_age >= 125) & (u2 >= 0.12) & (u2 < 0.45),
                    FLOW_AGENCY, flow)
    in_flow = np.zeros(NE, bool)
    in_flow[fe[flow > 0]] = True

    # base behaviour on the other encounters
    base = open_e & ~in_flow
    pm_fast = np.array([M_TTP, M_PORTAL, M_CARD, M_PHONE, M_COF])[r.choice(5, [0.35, 0.25, 0.25, 0.1, 0.05], NE)]
    pm_slow = np.array([M_CHECK, M_PHONE, M_PORTAL, M_CARD, M_CASH])[r.choice(5, [0.35, 0.25, 0.2, 0.15, 0.05], NE)]
    # admin adjustments (slow / silent only, before any payment)
    adm = base & (eb != FAST) & r.b(0.012, NE)
    adm_amt = np.where(adm, np.round(due * (0.1 + 0.4 * r.u(NE))).astype(np.int64), 0)
    adm_day = rday_e + r.ri(2, 20, NE)
    adm &= adm_day <= A
    adm_amt = np.where(adm, adm_amt, 0)
    tx.add(g=eg, e=np.arange(NE), day=adm_day, type=ADJUSTMENT, reason=R_ADMIN, amount=adm_amt, mask=adm, src=3)
    due_b = due - adm_amt

    # fast payers
    fast = base & (eb == FAST)
    early = fast & has2 & ((d2 - d1) >= 3) & r.b(0.3, NE) & (resp1 - front > 0) & (resp1 > resp2)
    e_amt = resp1 - front
    e_day = d1 + r.ri(1, np.maximum(d2 - d1 - 1, 1))
    tx.add(g=eg, e=np.arange(NE), day=e_day, type=PAYMENT, amount=e_amt, method=pm_fast, mask=early, src=4)
    e_rf_day = d2 + r.ri(3, 20, NE)
    tx.add(g=eg, e=np.arange(NE), day=e_rf_day, type=REFUND, amount=resp1 - resp2,
           method=np.where(pm_fast == M_CHECK, M_CHECK, M_CARD), mask=early & (e_rf_day <= A), src=5)
    fast_n = fast & ~early
    p_day = rday_e + np.minimum(r.g.geometric(0.3, NE), 12)
    prompt = fast_n & (due_b >= 15000) & (p_day - rday_e <= 7) & r.b(0.12, NE)
    pp_amt = np.where(prompt, np.round(due_b * 0.05).astype(np.int64), 0)
    ok = fast_n & (p_day <= A)
    tx.add(g=eg, e=np.arange(NE), day=p_day, type=ADJUSTMENT, reason=R_PROMPT, amount=pp_amt, mask=ok & prompt, src=6)
    split = ok & (due_b - pp_amt >= 6000) & r.b(0.15, NE)      # e.g. part on an HSA card, rest later
    first_part = np.where(split, np.round((due_b - pp_amt) * (0.3 + 0.4 * r.u(NE)) / 100).astype(np.int64) * 100, due_b - pp_amt)
    p_day2 = p_day + r.ri(0, 10, NE)
    tx.add(g=eg, e=np.arange(NE), day=p_day, type=PAYMENT, amount=first_part, method=pm_fast, mask=ok, src=7)
    tx.add(g=eg, e=np.arange(NE), day=p_day2, type=PAYMENT, amount=due_b - pp_amt - first_part, method=M_CARD,
           mask=split & (p_day2 <= A), src=7)
    dup = ok & r.b(0.015, NE)
    dup_day = p_day + r.ri(0, 2, NE)
    dup_rf = dup_day + r.ri(5, 15, NE)
    tx.add(g=eg, e=np.arange(NE), day=dup_day, type=PAYMENT, amount=due_b - pp_amt, method=pm_fast,
           mask=dup & (dup_day <= A), src=8)
    tx.add(g=eg, e=np.arange(NE), day=dup_rf, type=REFUND, amount=due_b - pp_amt,
           method=np.where(pm_fast == M_CHECK, M_CHECK, M_CARD), mask=dup & (dup_rf <= A), src=9)

    # slow payers: 1-5 informal partial payments, the last one sometimes never comes
    slow = base & (eb == SLOW)
    k = np.where(due_b >= 20000, r.choice(5, [0.1, 0.2, 0.25, 0.25, 0.2], NE), r.choice(5, [0.35, 0.35, 0.2, 0.1, 0.0], NE)) + 1
    day_p = rday_e + r.ri(20, 75, NE)
    left = due_b.copy()
    drop_last = r.b(0.25, NE)
    for i in range(5):
        part_ = np.where(k - i == 1, left, np.round(left / np.maximum(k - i, 1) / 100).astype(np.int64) * 100)
        part_ = np.minimum(part_, left)
        act = slow & (i < k) & (day_p <= A) & ~(drop_last & (i == k - 1) & (k > 1))
        tx.add(g=eg, e=np.arange(NE), day=day_p, type=PAYMENT, amount=part_, method=pm_slow, mask=act, src=10)
        left = np.where(act, left - part_, left)
        day_p = day_p + r.ri(14, 40, NE)
    # small balances written off
    sb_day = rday_e + r.ri(30, 60, NE)
    small = base & (eb != FAST) & (due_b > 0) & (due_b < 700) & (sb_day <= A) & r.b(0.6, NE)
    small &= ~(slow & (left < due_b))     # untouched small balances only
    tx.add(g=eg, e=np.arange(NE), day=sb_day, type=ADJUSTMENT, reason=R_SMALL, amount=due_b, mask=small, src=11)

    # ------------------------------------------------------------------ flows
    gi = np.arange(NG, dtype=np.int64)
    plans = _plans(r, tx, ct, A, gi[flow == FLOW_PLAN], fe[flow == FLOW_PLAN], rday_e, due, G)
    disputes = _disputes(r, tx, ct, A, gi[flow == FLOW_DISPUTE], fe[flow == FLOW_DISPUTE], rday_e, due)
    hardship = _hardship(r, tx, ct, A, gi[flow == FLOW_HARDSHIP], fe[flow == FLOW_HARDSHIP], rday_e, due)
    _promises(r, tx, ct, A, gi[flow == FLOW_PROMISE], fe[flow == FLOW_PROMISE], rday_e, due)
    _settlements(r, tx, ct, A, gi[flow == FLOW_SETTLE], fe[flow == FLOW_SETTLE], rday_e, due)
    agency = _agency(r, tx, A, gi[flow == FLOW_AGENCY], fe[flow == FLOW_AGENCY], rday_e, due)

    # payment reversals (NSF cheques, charge-backs) and some re-payments
    T = tx.arrays()
    is_pay = (T["type"] == PAYMENT) & np.isin(T["method"], [M_CARD, M_CHECK, M_TTP, M_PORTAL, M_PHONE]) & (T["src"] != 1)
    nrev = len(T["g"])
    rv = is_pay & r.b(0.015, nrev)
    rv_day = T["day"] + r.ri(2, 10, nrev)
    rv &= rv_day <= A
    tx.add(g=T["g"], e=T["e"], day=rv_day, type=REVERSAL, amount=T["amount"], method=T["method"], plan=T["plan"],
           mask=rv, src=20)
    rp_day = rv_day + r.ri(3, 20, nrev)
    rp_m = np.where(T["method"] == M_CHECK, M_CARD, M_PORTAL)
    tx.add(g=T["g"], e=T["e"], day=rp_day, type=PAYMENT, amount=T["amount"], method=rp_m, plan=T["plan"],
           mask=rv & (rp_day <= A) & r.b(0.5, nrev), src=21)

    # on-account (unapplied) money from guarantors who still owe
    T = tx.arrays()
    bal_e = _encounter_balances(NE, resp, pending, T)
    g_owed = np.bincount(eg, weights=np.maximum(bal_e, 0), minlength=NG).astype(np.int64)
    oa = (g_owed >= 4000) & r.b(0.02, NG)
    oa_amt = np.minimum(r.ri(20, 150, NG) * 100, g_owed // 2)
    oa_day = A - r.ri(0, 90, NG)
    oa_day = np.maximum(oa_day, g_first)
    oa_m = np.array([M_PORTAL, M_PHONE, M_CHECK])[r.choice(3, [0.5, 0.3, 0.2], NG)]
    tx.add(g=gi, e=-1, day=oa_day, type=PAYMENT, amount=oa_amt, method=oa_m, mask=oa, src=30)

    # ------------------------------------------------------------------ contacts
    _contacts(r, ct, A, G, behav, eg, rday_e, open_e)

    return tx, ct, plans, disputes, hardship, agency, bal_e


# ============================================================================= pieces
def _prepare_out(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"--out {out} exists and is not a directory")
    if out.exists() and any(out.iterdir()):
        if not force:
            raise FileExistsError(
                f"refusing to write into non-empty {out} (use --force to replace its era/, pm/, ops/, events/)"
            )
        for d in LANDING_DIRS:
            p = out / d
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
    out.mkdir(parents=True, exist_ok=True)


def _make_guarantors(r: R, NG: int, A: int, g_first, g_last, g_last_before) -> dict:
    G: dict = {"n": NG, "first_visit": g_first}
    loc_w = np.array([x[5] for x in LOCATIONS], float)
    loc = r.choice(len(LOCATIONS), loc_w, NG)
    first = r.ri(0, len(FIRST) - 1, NG)
    last = r.ri(0, len(LAST) - 1, NG)
    street = r.ri(0, len(STREETS) - 1, NG)
    house = r.ri(1, 9899, NG)
    line2 = np.where(r.b(0.25, NG), r.ri(0, len(LINE2) - 1, NG), -1)
    zip5 = r.ri(0, 99, NG)
    zip4 = np.where(r.b(0.1, NG), r.ri(1, 9999, NG), -1)
    tz_filled = r.b(0.88, NG)

    # households: ~30% of guarantors in groups of 2-4 sharing last name and address
    perm = r.g.permutation(NG)
    sizes = np.array([2, 3, 4])[r.choice(3, [0.6, 0.3, 0.1], NG // 2 + 2)]
    cum = np.cumsum(sizes)
    ngroups = int(np.searchsorted(cum, int(0.30 * NG))) + 1 if NG >= 4 else (1 if NG >= 2 else 0)
    sizes = sizes[:ngroups]
    cum = np.cumsum(sizes)
    while len(cum) and cum[-1] > NG:
        sizes = sizes[:-1]
        cum = cum[:-1]
    members = perm[: int(cum[-1])] if len(cum) else perm[:0]
    grp = np.repeat(np.arange(len(sizes)), sizes)
    head = members[np.r_[0, cum[:-1]]][grp] if len(members) else members
    household = np.full(NG, -1, np.int64)
    household[members] = grp + 1
    same_last = r.b(0.8, len(members))
    last[members] = np.where(same_last, last[head], last[members])
    for arr in (loc, street, house, line2, zip5, zip4, tz_filled):
        arr[members] = arr[head]
    singles = household < 0
    own = singles & r.b(0.5, NG)
    household = np.where(own, len(sizes) + 1 + np.cumsum(own) - 1, household)

    G.update(loc=loc, first=first, last=last, street=street, house=house, line2=line2, zip5=zip5,
             zip4=zip4, tz_filled=tz_filled, household=household)
    G["dob"] = A - r.ri(18 * 365, 90 * 365, NG)
    has_phone = r.b(0.93, NG)
    G["phone_num"] = np.where(has_phone, r.ri(2000000, 9999999, NG), -1)
    G["phone_e164"] = r.b(0.3, NG)
    G["has_email"] = r.b(0.85, NG)
    G["email_n"] = r.ri(1, 99, NG)
    G["email_dom"] = r.ri(0, len(EMAIL_DOMAINS) - 1, NG)
    owner = np.arange(NG)
    share = r.b(0.4, len(members)) & (members != head)
    owner[members[share]] = head[share]
    G["email_owner"] = owner
    for k in ("email_n", "email_dom", "has_email"):
        G[k][members[share]] = G[k][head[share]]
    share_p = r.b(0.3, len(members)) & (members != head)
    for k in ("phone_num", "phone_e164"):
        G[k][members[share_p]] = G[k][head[share_p]]
    G["pref"] = np.where(r.b(0.9, NG), r.choice(4, [0.35, 0.25, 0.2, 0.1], NG), -1)
    G["pref"] = np.where((G["pref"] == 1) & ~G["has_email"], 2, G["pref"])
    G["lang"] = np.where(r.b(0.94, NG), r.choice(len(LANGS), [0.82, 0.12, 0.02, 0.02, 0.01, 0.01], NG), -1)
    # registration: existing patients registered long ago, new ones at the first visit
    newpt = r.b(0.35, NG)
    G["reg_day"] = np.where(newpt, g_first, g_first - r.ri(1, 1500, NG))
    G["reg_sec"] = _secs(r, NG, 8, 17)
    # consents (at registration or the first visit in the window)
    cons_day = np.where(r.b(0.5, NG), G["reg_day"], g_first)
    G["sms_c"] = np.where(has_phone & r.b(0.72, NG), cons_day, -1)
    G["email_c"] = np.where(G["has_email"] & r.b(0.62, NG), cons_day, -1)
    G["cons_sec"] = G["reg_sec"] + r.ri(60, 1800, NG)
    span = np.maximum(A - np.maximum(cons_day, A - 400), 1)
    G["sms_o"] = np.where((G["sms_c"] >= 0) & r.b(0.06, NG), np.minimum(cons_day + r.ri(1, span), A), -1)
    G["email_o"] = np.where((G["email_c"] >= 0) & r.b(0.04, NG), np.minimum(cons_day + r.ri(1, span), A), -1)
    G["opt_sec"] = r.ri(7 * 3600, 22 * 3600, NG)
    # address verified at the last check-in before as_of (or at registration)
    av = np.where(g_last_before >= 0, g_last_before, G["reg_day"])
    av = np.where(r.b(0.25, NG), G["reg_day"], av)
    G["addr_v"] = np.where(r.b(0.05, NG), -1, av)
    # deceased / bankrupt (~0.3% each)
    span2 = np.maximum(A - g_first, 1)
    after_last = np.maximum(A - g_last, 1)
    G["deceased"] = np.where(r.b(0.003, NG) & (g_last < A), np.minimum(g_last + r.ri(1, after_last), A), -1)
    G["bankrupt"] = np.where(r.b(0.003, NG), np.minimum(g_first + r.ri(1, span2), A), -1)
    G["cof_c"] = np.where(r.b(0.04, NG), cons_day, -1)
    G["flag_sec"] = _secs(r, NG, 9, 17)
    return G


def _claims_table(r: R, NE: int, **k) -> dict:
    """All adjudications (primary, reversal, correction, secondary) as claim rows."""
    e = np.arange(NE)
    prim = k["adj1"]
    rev = k["rev"]
    corr = k["corr"]
    sec = k["has2"]
    denied = k["denied"]
    z = np.zeros(NE, np.int64)
    rows = []

    def grab(mask, **cols):
        idx = e[mask]
        rows.append({c: np.broadcast_to(np.asarray(v), (NE,))[idx] if np.ndim(v) else np.full(len(idx), v)
                     for c, v in dict(enc=e, **cols).items()})

    st_prim = np.where(denied, 4, np.where(k["st1_19"], 19, 1))
    den_pr = k["den_pr"]
    charge = k["charge"]
    # primary
    grab(prim, payer=k["e_payer"], day=k["d1"], seq=0, status=st_prim, charge=charge,
         paid=np.where(denied, 0, k["paid1"]),
         co45=np.where(denied, 0, k["co45"]), oa23=z,
         pr1=np.where(denied, 0, k["pr1"]), pr2=np.where(denied, 0, k["pr2"]), pr3=np.where(denied, 0, k["pr3"]),
         pr204=np.where(denied & den_pr, charge, 0), co_den=np.where(denied & ~den_pr, charge, 0),
         co_den_code=k["den_co_code"], clp07_of=0, svc_ok=~denied & (k["co45"] >= 200))
    # reversal of the primary (same CLP07, all amounts negated)
    grab(rev, payer=k["e_payer"], day=k["rday"], seq=1, status=22, charge=-charge, paid=-k["paid1"],
         co45=-k["co45"], oa23=z, pr1=-k["pr1"], pr2=-k["pr2"], pr3=-k["pr3"], pr204=z, co_den=z,
         co_den_code=z, clp07_of=0, svc_ok=False)
    # corrected re-adjudication (same or new CLP07)
    grab(corr, payer=k["e_payer"], day=k["cday"], seq=2, status=1, charge=charge, paid=k["c_paid"],
         co45=k["c_co45"], oa23=z, pr1=k["c_pr1"], pr2=k["c_pr2"], pr3=k["c_pr3"], pr204=z, co_den=z,
         co_den_code=z, clp07_of=np.where(k["same_clp07"], 0, 2), svc_ok=k["c_co45"] >= 200)
    # secondary payer
    grab(sec, payer=k["e_sec"], day=k["d2"], seq=3, status=2, charge=charge, paid=k["paid2"],
         co45=k["co45"], oa23=k["paid1"], pr1=k["b1"], pr2=k["b2"], pr3=k["b3"], pr204=z, co_den=z,
         co_den_code=z, clp07_of=3, svc_ok=False)
    C = {c: np.concatenate([rw[c] for rw in rows]).astype(np.int64) for c in rows[0]}
    n = len(C["enc"])
    # payer claim control numbers: one per (encounter, adjudication source)
    C["clp07"] = C["enc"] * 4 + C["clp07_of"] + 10_000_000_000
    C["prov"] = k["prov"][C["enc"]]
    svc = np.where(C["svc_ok"].astype(bool) & r.b(0.3, n), np.where(r.b(0.5, n), 2, 1), 0)
    C["svc"] = svc
    C["split"] = 0.3 + 0.4 * r.u(n)
    C["cpt1"] = r.ri(0, 3, n)
    C["cpt2"] = (C["cpt1"] + 1 + r.ri(0, 2, n)) % 4
    C["resp"] = C["pr1"] + C["pr2"] + C["pr3"] + C["pr204"]
    assert (C["charge"] - C["paid"] == C["co45"] + C["oa23"] + C["resp"] + C["co_den"]).all()
    # file order: payment day, payer, encounter, sequence (reversal before correction)
    o = np.lexsort((C["seq"], C["enc"], C["payer"], C["day"]))
    return {c: v[o] for c, v in C.items()}


def _encounter_balances(NE, resp, pending, T) -> np.ndarray:
    sign = np.where((T["type"] == PAYMENT) | (T["type"] == ADJUSTMENT), -1, 1)
    has_e = T["e"] >= 0
    post = np.bincount(T["e"][has_e], weights=(sign * T["amount"])[has_e], minlength=NE)
    return np.where(pending, 0, resp + post).astype(np.int64)


def _plans(r: R, tx: Tx, ct: Contacts, A: int, g, e, rday, due, G) -> dict:
    P = len(g)
    created = rday[e] + r.ri(10, np.minimum(45, A - rday[e]))
    created = np.minimum(created, A)
    total = due[e]
    cnt = np.where(total < 50000, r.ri(2, 3, P),
                   np.where(total < 200000, r.ri(3, 6, P), np.where(r.b(0.6, P), r.ri(6, 6, P), r.ri(7, 12, P))))
    inst = -(-total // cnt)
    freq = r.choice(3, [0.8, 0.15, 0.05], P)
    dom = np.array([1, 5, 10, 15, 20, 25, 28])[r.ri(0, 6, P)]
    base_ = created + 7
    m0 = base_.astype("datetime64[D]").astype("datetime64[M]")
    cand = (m0.astype("datetime64[D]").astype(np.int64) + dom - 1)
    cand = np.where(cand < base_, _add_months(m0.astype("datetime64[D]").astype(np.int64), 1) + dom - 1, cand)
    first_due = np.where(freq == 0, cand, created + np.where(freq == 1, 14, 7))
    cof = r.b(0.4, P)
    K = 12
    kk = np.arange(K)[None, :]
    due_k = np.where(
        (freq == 0)[:, None],
        _add_months(np.repeat(first_due, K), np.tile(np.arange(K), P)).reshape(P, K),
        first_due[:, None] + kk * np.where(freq == 1, 14, 7)[:, None],
    )
    valid = kk < cnt[:, None]
    amt_k = np.where(kk == (cnt - 1)[:, None], (total - inst * (cnt - 1))[:, None], inst[:, None])
    shaky = r.b(0.3, P)
    pmiss = np.where(shaky, 0.45, 0.03)
    miss = r.u((P, K)) < pmiss[:, None]
    miss[:, 0] &= r.b(0.6, P) | shaky  # first installments succeed more often
    pay_off = np.where(cof[:, None], 0, np.floor(r.u((P, K)) * 6).astype(np.int64) - 3)
    pay_day = due_k + pay_off
    evaluable = valid & (due_k + 3 < A)
    missed = miss & evaluable
    cum = np.cumsum(missed, axis=1)
    dflt = (cum >= 2).any(axis=1)
    dflt_k = np.where(dflt, np.argmax(cum >= 2, axis=1), K)
    dflt_day = np.minimum(due_k[np.arange(P), np.minimum(dflt_k, K - 1)] + 4 + r.ri(0, 3, P), A)
    cancel_day = created + r.ri(5, 120, P)
    cancel = ~dflt & r.b(0.04, P) & (cancel_day <= A)
    paid = valid & ~miss & (pay_day <= A) & (kk < dflt_k[:, None]) & ~(cancel[:, None] & (pay_day >= cancel_day[:, None]))
    completed = ~dflt & ~cancel & (paid.sum(axis=1) == cnt)
    last_pay = np.where(paid, pay_day, -1).max(axis=1)
    status = np.where(dflt, 3, np.where(cancel, 2, np.where(completed, 1, 0)))
    st_day = np.select([dflt, cancel, completed], [dflt_day, cancel_day, last_pay], created)
    method = np.where(cof, M_COF, np.array([M_PORTAL, M_PHONE, M_CHECK, M_CARD])[r.choice(4, [0.4, 0.25, 0.2, 0.15], P)])
    pid = np.arange(P)
    ii, jj = np.nonzero(paid)
    tx.add(g=g[ii], e=e[ii], day=pay_day[ii, jj], type=PAYMENT, amount=amt_k[ii, jj], method=method[ii],
           plan=pid[ii], src=40)
    created_sec = _secs(r, P, 9, 17)
    ct.add(g=g, day=created, sec=created_sec - 300, channel=CH_INBOUND, direction=D_IN, outcome=O_PLANREQ,
           agent=r.ri(1, 25, P))
    G["cof_c"][g[cof]] = np.where(G["cof_c"][g[cof]] >= 0, np.minimum(G["cof_c"][g[cof]], created[cof]), created[cof])
    st_sec = np.where(status == 0, created_sec, _secs(r, P, 9, 19))
    mgr = cnt > 6
    approver = np.where(mgr, r.ri(1, 3, P), r.ri(1, 12, P))
    approved_by = _join(pc.if_else(pa.array(mgr), "M", "S"), pc.utf8_lpad(pc.cast(pa.array(approver), pa.string()), width=3, padding="0"))
    spec = Spec({
        "plan_id": ID("PP", pid + 1, 7),
        "guarantor_id": ID("G", g + 1, 8),
        "created_at": TS(created, created_sec),
        "approved_by": AR(approved_by),
        "total_amount": MONEY(total),
        "installment_amount": MONEY(inst),
        "installment_count": ("int", cnt),
        "first_due_date": DT(first_due),
        "frequency": EN(ENUMS[("payment_plans", "frequency")], freq),
        "card_on_file": EN(["true", "false"], np.where(cof, 0, 1)),
        "status": EN(ENUMS[("payment_plans", "status")], status),
        "status_changed_at": TS(st_day, st_sec),
        "updated_at": TS(st_day, st_sec),
    })
    old = spec.replace(status=EN(ENUMS[("payment_plans", "status")], np.zeros(P, np.int64)),
                       status_changed_at=TS(created, created_sec), updated_at=TS(created, created_sec))
    missed_active = (status == 0) & (missed.sum(axis=1) >= 1)
    return {"spec": (spec, old, st_day, created), "n": P, "missed_active": int(missed_active.sum()),
            "status": status, "cof": cof, "g": g, "created": created}


def _disputes(r: R, tx: Tx, ct: Contacts, A: int, g, e, rday, due) -> dict:
    D = len(g)
    opened = rday[e] + r.ri(3, np.minimum(45, A - rday[e]))
    opened = np.minimum(opened, A)
    osec = _secs(r, D, 8, 19)
    reason = r.ri(0, 4, D)
    chan = r.choice(4, [0.45, 0.3, 0.15, 0.1], D)
    resolved_day = opened + r.ri(2, 45, D)
    resolved = r.b(0.65, D) & (resolved_day <= A)
    resolution = np.where(resolved, r.choice(4, [0.25, 0.3, 0.3, 0.15], D), -1)
    rsec = np.where(resolved, _secs(r, D, 9, 18), 0)
    rsec = np.where(resolved & (resolved_day == opened), np.maximum(rsec, osec + 60), rsec)
    no_enc = r.b(0.1, D)
    d = due[e]
    up = resolution == 0
    corr = resolution == 1
    rej = resolution == 2
    wd = resolution == 3
    corr_amt = np.round(d * (0.2 + 0.4 * r.u(D))).astype(np.int64)
    tx.add(g=g, e=e, day=resolved_day, type=ADJUSTMENT, reason=R_ADMIN, amount=np.where(up, d, corr_amt),
           mask=up | corr, src=50)
    pay_day = resolved_day + np.where(wd, r.ri(0, 10, D), r.ri(5, 60, D))
    pay_amt = np.where(corr, d - corr_amt, d)
    pay = (corr & r.b(0.6, D) | rej & r.b(0.5, D) | wd & r.b(0.7, D)) & (pay_day <= A)
    tx.add(g=g, e=e, day=pay_day, type=PAYMENT, amount=pay_amt,
           method=np.array([M_PORTAL, M_PHONE, M_CARD, M_CHECK])[r.ri(0, 3, D)], mask=pay, src=51)
    cchan = np.array([CH_INBOUND, CH_PORTAL, CH_EMAIL, CH_LETTER])[chan]
    ct.add(g=g, day=opened, sec=osec - 120, channel=cchan, direction=D_IN, outcome=O_DISPUTE,
           agent=np.where(cchan == CH_INBOUND, r.ri(1, 25, D), -1))
    upd = np.where(resolved, resolved_day, opened)
    upd_sec = np.where(resolved, rsec, osec)
    spec = Spec({
        "dispute_id": ID("DSP", np.arange(1, D + 1), 7),
        "guarantor_id": ID("G", g + 1, 8),
        "encounter_id": ID("E", np.where(no_enc, -1, e + 1), 9),
        "opened_at": TS(opened, osec),
        "channel": EN(DISPUTE_CHANNELS, chan),
        "reason": EN(ENUMS[("disputes", "reason")], reason),
        "resolved_at": TS(np.where(resolved, resolved_day, -1), rsec),
        "resolution": EN(ENUMS[("disputes", "resolution")], resolution),
        "updated_at": TS(upd, upd_sec),
    })
    old = spec.replace(resolved_at=TS(np.full(D, -1), rsec), resolution=EN(["x"], np.full(D, -1)),
                       updated_at=TS(opened, osec))
    return {"spec": (spec, old, upd, opened), "n": D, "open": int((~resolved).sum())}


def _hardship(r: R, tx: Tx, ct: Contacts, A: int, g, e, rday, due) -> dict:
    H = len(g)
    sub = np.minimum(rday[e] + r.ri(10, np.minimum(90, A - rday[e])), A)
    ssec = _secs(r, H, 8, 19)
    dec_day = sub + r.ri(3, 21, H)
    decided = dec_day <= A
    approved = decided & r.b(0.65, H)
    outcome = np.where(~decided, 0, np.where(approved, 1, 2))
    relief = np.where(approved, r.choice(3, [0.55, 0.3, 0.15], H), -1)
    pct = np.array([25, 50, 75, 100])[r.choice(4, [0.3, 0.35, 0.2, 0.15], H)]
    pct = np.where(relief == 0, pct, -1)
    months = r.ri(6, 12, H)
    s_start = np.where(approved, dec_day, -1)
    s_end = np.where(approved, _add_months(dec_day, months), -1)
    dsec = np.where(decided, _secs(r, H, 9, 17), 0)
    dsec = np.where(decided & (dec_day == sub), np.maximum(dsec, ssec + 60), dsec)
    d = due[e]
    disc = np.where(relief == 0, np.round(d * np.maximum(pct, 0) / 100).astype(np.int64), 0)
    tx.add(g=g, e=e, day=dec_day, type=ADJUSTMENT, reason=R_HARDSHIP, amount=disc, mask=relief == 0, src=60)
    pay_day = dec_day + r.ri(20, 90, H)
    pay = decided & (pay_day <= A) & np.where(approved, r.b(0.5, H), r.b(0.4, H)) & (d - disc > 0)
    tx.add(g=g, e=e, day=pay_day, type=PAYMENT, amount=d - disc,
           method=np.array([M_PORTAL, M_PHONE, M_CHECK])[r.ri(0, 2, H)], mask=pay, src=61)
    ct.add(g=g, day=sub, sec=ssec - 600, channel=CH_INBOUND, direction=D_IN, outcome=O_CONNECTED, agent=r.ri(1, 25, H))
    upd = np.where(decided, dec_day, sub)
    usec = np.where(decided, dsec, ssec)
    spec = Spec({
        "application_id": ID("HA", np.arange(1, H + 1), 7),
        "guarantor_id": ID("G", g + 1, 8),
        "submitted_at": TS(sub, ssec),
        "decided_at": TS(np.where(decided, dec_day, -1), dsec),
        "outcome": EN(ENUMS[("hardship", "outcome")], outcome),
        "relief": EN(ENUMS[("hardship", "relief")], relief),
        "discount_pct": ("int", pct),
        "support_start": DT(s_start),
        "support_end": DT(s_end),
        "verified_by": ID("S", np.where(decided, r.ri(1, 12, H), -1), 3),
        "updated_at": TS(upd, usec),
    })
    neg = np.full(H, -1)
    old = spec.replace(decided_at=TS(neg, dsec), outcome=EN(ENUMS[("hardship", "outcome")], np.zeros(H, np.int64)),
                       relief=EN(["x"], neg), discount_pct=("int", neg), support_start=DT(neg), support_end=DT(neg),
                       verified_by=ID("S", neg, 3), updated_at=TS(sub, ssec))
    return {"spec": (spec, old, upd, sub), "n": H}


def _promises(r: R, tx: Tx, ct: Contacts, A: int, g, e, rday, due) -> None:
    n = len(g)
    t = np.minimum(rday[e] + r.ri(10, np.minimum(60, A - rday[e])), A)
    d = due[e]
    part = np.maximum(np.round(d * (0.3 + 0.4 * r.u(n)) / 1000).astype(np.int64) * 1000, 2500)
    amt = np.where(r.b(0.6, n) | (d <= 2500), d, np.minimum(part, d))
    pdate = t + r.ri(3, 21, n)
    inbound = r.b(0.3, n)
    ct.add(g=g, day=t, sec=_secs(r, n, 9, 19), channel=np.where(inbound, CH_INBOUND, CH_CALL),
           direction=np.where(inbound, D_IN, D_OUT), outcome=O_PTP, pamount=amt, pdate=pdate, agent=r.ri(1, 25, n))
    kept = r.b(0.6, n)
    pday = t + r.ri(0, pdate - t + 2)
    tx.add(g=g, e=e, day=pday, type=PAYMENT, amount=amt,
           method=np.array([M_PHONE, M_PORTAL, M_CARD, M_TTP])[r.ri(0, 3, n)], mask=kept & (pday <= A), src=70)


def _settlements(r: R, tx: Tx, ct: Contacts, A: int, g, e, rday, due) -> None:
    n = len(g)
    day = rday[e] + r.ri(120, A - rday[e])
    d = due[e]
    pay = np.round(d * (0.6 + 0.25 * r.u(n))).astype(np.int64)
    tx.add(g=g, e=e, day=day, type=PAYMENT, amount=pay, method=np.array([M_PHONE, M_CARD])[r.ri(0, 1, n)], src=80)
    tx.add(g=g, e=e, day=day, type=ADJUSTMENT, reason=R_SETTLEMENT, amount=d - pay, src=81)
    ct.add(g=g, day=day, sec=_secs(r, n, 9, 17), channel=CH_CALL, direction=D_OUT, outcome=O_CONNECTED,
           agent=r.ri(1, 25, n))


def _agency(r: R, tx: Tx, A: int, g, e, rday, due) -> dict:
    n = len(g)
    place = rday[e] + r.ri(95, np.maximum(A - rday[e] - 20, 95))   # the clinic's earlier policy
    place = np.minimum(place, A - 5)
    d = due[e]
    ev = []  # (placement idx, event, day, amount)
    pid = np.arange(n)
    ack = place + r.ri(1, 3, n)
    ev.append((pid, np.zeros(n, np.int64), ack, np.full(n, -1)))
    u = r.u(n)
    pday = place + r.ri(10, 45, n)
    full = (u < 0.35) & (pday <= A)
    partial = (u >= 0.35) & (u < 0.55) & (pday <= A)
    pamt = np.where(full, d, np.round(d * (0.3 + 0.3 * r.u(n))).astype(np.int64))
    payer = full | partial
    ev.append((pid[payer], np.full(payer.sum(), 1), pday[payer], pamt[payer]))
    ev.append((pid[full], np.full(full.sum(), 3), pday[full], np.full(full.sum(), -1)))
    tx.add(g=g, e=e, day=pday, type=PAYMENT, amount=pamt, method=M_AGENCY, mask=payer, src=90)
    cday = place + r.ri(60, 120, n)
    uncol = (u >= 0.55) & (u < 0.65) & (cday <= A)
    ev.append((pid[uncol], np.full(uncol.sum(), 4), cday[uncol], np.full(uncol.sum(), -1)))
    tx.add(g=g, e=e, day=cday, type=ADJUSTMENT, reason=R_BADDEBT, amount=d, mask=uncol, src=91)
    rday_ = place + r.ri(10, 40, n)
    recall = (u >= 0.65) & (u < 0.72) & (rday_ <= A)
    ev.append((pid[recall], np.full(recall.sum(), 2), rday_[recall], np.full(recall.sum(), -1)))
    P = np.concatenate([x[0] for x in ev])
    E = np.concatenate([x[1] for x in ev])
    Dy = np.concatenate([x[2] for x in ev])
    Am = np.concatenate([x[3] for x in ev])
    keep = Dy <= A
    P, E, Dy, Am = P[keep], E[keep], Dy[keep], Am[keep]
    o = np.lexsort((E, P, Dy))
    P, E, Dy, Am = P[o], E[o], Dy[o], Am[o]
    m = len(P)
    sec = _secs(r, m, 8, 18)
    spec = Spec({
        "activity_id": ID("AA", np.arange(1, m + 1), 8),
        "placement_id": ID("PL", P + 1, 7),
        "guarantor_id": ID("G", g[P] + 1, 8),
        "encounter_id": ID("E", e[P] + 1, 9),
        "event": EN(ENUMS[("agency_activity", "event")], E),
        "occurred_at": TS(Dy, sec),
        "amount": MONEY(np.maximum(Am, 0), null=Am < 0),
        "updated_at": TS(Dy, sec),
    })
    return {"spec": (spec, None, Dy, Dy), "n": m, "placements": n}


def _contacts(r: R, ct: Contacts, A: int, G: dict, behav, eg, rday_e, open_e) -> None:
    NG = G["n"]
    # first balance day per guarantor
    fb = np.full(NG, A + 1, np.int64)
    np.minimum.at(fb, eg[open_e], rday_e[open_e])
    has_bal = fb <= A
    lam = np.array([0.4, 1.6, 2.8])[behav]
    n_c = np.where(has_bal, r.g.poisson(lam), 0)
    gg = np.repeat(np.arange(NG), n_c)
    m = len(gg)
    day = fb[gg] + r.ri(0, np.maximum(A - fb[gg], 0))
    kind = r.choice(6, [0.5, 0.22, 0.12, 0.06, 0.07, 0.03], m)  # call, letter, email, sms, inbound, portal
    has_phone = G["phone_num"] >= 0
    kind = np.where((kind == 0) & ~has_phone[gg], 1, kind)
    kind = np.where((kind == 2) & ~G["has_email"][gg], 1, kind)
    kind = np.where((kind == 3) & ~has_phone[gg], 1, kind)
    chan = np.array([CH_CALL, CH_LETTER, CH_EMAIL, CH_SMS, CH_INBOUND, CH_PORTAL])[kind]
    call_out = np.array([O_CONNECTED, O_VOICEMAIL, O_NOANSWER])[r.choice(3, [0.25, 0.4, 0.35], m)]
    outcome = np.select([chan == CH_CALL, chan == CH_INBOUND, chan == CH_PORTAL], [call_out, O_CONNECTED, O_CONNECTED],
                        O_DELIVERED)
    direction = np.where((chan == CH_INBOUND) | (chan == CH_PORTAL), D_IN, D_OUT)
    agent = np.where((chan == CH_CALL) | (chan == CH_INBOUND), r.ri(1, 25, m), -1)
    ct.add(g=gg, day=day, sec=_secs(r, m, 8.5, 20.5), channel=chan, direction=direction, outcome=outcome, agent=agent)

    gi = np.arange(NG)
    lo = np.minimum(G["first_visit"], A)
    # returned mail: after the last address verification
    av = G["addr_v"]
    rm = r.b(0.03, NG)
    base = np.where(av >= 0, av, lo)
    rm_day = base + r.ri(5, 60, NG)
    rm &= rm_day <= A
    ct.add(g=gi, day=rm_day, sec=_secs(r, NG, 10, 16), channel=CH_LETTER, direction=D_OUT, outcome=O_RETURNED, mask=rm)
    G["returned_mail"] = rm
    wn = r.b(0.02, NG) & has_phone
    wn_day = lo + r.ri(0, np.maximum(A - lo, 0))
    ct.add(g=gi, day=wn_day, sec=_secs(r, NG, 9, 19), channel=CH_CALL, direction=D_OUT, outcome=O_WRONG,
           agent=r.ri(1, 25, NG), mask=wn)
    bo = r.b(0.02, NG) & G["has_email"]
    bo_day = lo + r.ri(0, np.maximum(A - lo, 0))
    ct.add(g=gi, day=bo_day, sec=_secs(r, NG, 9, 19), channel=CH_EMAIL, direction=D_OUT, outcome=O_BOUNCED, mask=bo)
    G["bounced"] = bo
    cp = r.b(0.003, NG)
    cp_day = lo + r.ri(0, np.maximum(A - lo, 0))
    ct.add(g=gi, day=cp_day, sec=_secs(r, NG, 9, 19), channel=CH_INBOUND, direction=D_IN, outcome=O_COMPLAINT,
           agent=r.ri(1, 25, NG), mask=cp)
    rf = r.b(0.006, NG) & has_phone & has_bal
    rf_day = np.minimum(fb + r.ri(5, 60, NG), A)
    ct.add(g=gi, day=rf_day, sec=_secs(r, NG, 9, 19), channel=CH_CALL, direction=D_OUT, outcome=O_REFUSED,
           agent=r.ri(1, 25, NG), mask=rf)
    # recent dispute hints without a dispute row
    dh = r.b(0.004, NG) & has_bal
    dh_day = A - r.ri(0, 25, NG)
    ct.add(g=gi, day=np.maximum(dh_day, lo), sec=_secs(r, NG, 9, 19), channel=CH_INBOUND, direction=D_IN,
           outcome=O_DISPUTE, agent=r.ri(1, 25, NG), mask=dh)


def _finalise_guarantors(r: R, G: dict, A: int, S: int, T: dict, plans: dict, ct: Contacts) -> None:
    NG = G["n"]
    # card-on-file consent no later than the first card_on_file payment
    cof = T["method"] == M_COF
    first_cof = np.full(NG, A + 1, np.int64)
    np.minimum.at(first_cof, T["g"][cof], T["day"][cof])
    need = first_cof <= A
    c = G["cof_c"]
    c = np.where(need & ((c < 0) | (c > first_cof)), np.minimum(first_cof, np.maximum(G["first_visit"], 0)), c)
    c = np.where(need, np.minimum(c, first_cof), c)
    G["cof_c"] = c
    # returned mail must come after the address verification it contradicts
    C = ct.arrays()
    ret = C["outcome"] == O_RETURNED
    last_ret = np.full(NG, -1, np.int64)
    np.maximum.at(last_ret, C["g"][ret], C["day"][ret])
    bad = (last_ret >= 0) & (G["addr_v"] >= last_ret)
    G["addr_v"] = np.where(bad, last_ret - r.ri(5, 30, NG), G["addr_v"])


def _guarantor_spec(G: dict, A: int, W: int):
    NG = G["n"]
    loc = G["loc"]
    city = pick([x[0] for x in LOCATIONS], loc)
    state = pick([x[1] for x in LOCATIONS], loc)
    zip3 = pick([x[2] for x in LOCATIONS], loc)
    area = pick([x[3] for x in LOCATIONS], loc)
    tz = _null_where(pick([x[4] for x in LOCATIONS], loc), ~G["tz_filled"])
    z5 = _join(zip3, pc.utf8_lpad(pc.cast(pa.array(G["zip5"]), pa.string()), width=2, padding="0"))
    zip4 = _join("-", pc.utf8_lpad(pc.cast(pa.array(np.maximum(G["zip4"], 0)), pa.string()), width=4, padding="0"))
    postal = pc.if_else(pa.array(G["zip4"] >= 0), _join(z5, zip4), z5)
    line1 = _join(pc.cast(pa.array(G["house"]), pa.string()), " ", pick(STREETS, G["street"]))
    line2 = _null_where(pick(LINE2, np.maximum(G["line2"], 0)), G["line2"] < 0)
    num = pc.cast(pa.array(np.maximum(G["phone_num"], 0)), pa.string())
    ten = _join(area, num)
    phone = _null_where(pc.if_else(pa.array(G["phone_e164"]), _join("+1", ten), ten), G["phone_num"] < 0)
    eo = G["email_owner"]
    email = _join(pick(FIRST_MAIL, G["first"][eo]), ".", pick(LAST_MAIL, G["last"][eo]),
                  pc.cast(pa.array(G["email_n"]), pa.string()), "@", pick(EMAIL_DOMAINS, G["email_dom"]))
    email = _null_where(email, ~G["has_email"])
    cs, fs, os_ = G["cons_sec"], G["flag_sec"], G["opt_sec"]
    reg = G["reg_day"] * 86400 + G["reg_sec"]

    def stamp(day, sec):
        return np.where(day >= 0, day * 86400 + sec, -1)

    events = {
        "sms_consent_at": stamp(G["sms_c"], cs), "email_consent_at": stamp(G["email_c"], cs),
        "card_on_file_consent_at": stamp(G["cof_c"], cs), "sms_opt_out_at": stamp(G["sms_o"], os_),
        "email_opt_out_at": stamp(G["email_o"], os_), "address_verified_at": stamp(G["addr_v"], fs),
        "deceased_at": stamp(G["deceased"], fs), "bankruptcy_filed_at": stamp(G["bankrupt"], fs),
    }
    upd = reg.copy()
    for v in events.values():
        upd = np.maximum(upd, v)
    upd_day, upd_sec = upd // 86400, upd % 86400

    def tsc(name):
        v = events[name]
        return TS(np.where(v >= 0, v // 86400, -1), np.where(v >= 0, v % 86400, 0))

    def dtc(name):
        v = events[name]
        return DT(np.where(v >= 0, v // 86400, -1))

    spec = Spec({
        "guarantor_id": ID("G", np.arange(1, NG + 1), 8),
        "household_id": ID("H", G["household"], 8),
        "first_name": AR(pick(FIRST, G["first"])),
        "last_name": AR(pick(LAST, G["last"])),
        "date_of_birth": ("date_any", G["dob"]),
        "address_line1": AR(line1),
        "address_line2": AR(line2),
        "city": AR(city),
        "state": AR(state),
        "postal_code": AR(postal),
        "phone": AR(phone),
        "email": AR(email),
        "timezone": AR(tz),
        "preferred_channel": EN(ENUMS[("guarantors", "preferred_channel")], G["pref"]),
        "language": EN(LANGS, G["lang"]),
        "sms_consent_at": tsc("sms_consent_at"),
        "email_consent_at": tsc("email_consent_at"),
        "card_on_file_consent_at": tsc("card_on_file_consent_at"),
        "sms_opt_out_at": tsc("sms_opt_out_at"),
        "email_opt_out_at": tsc("email_opt_out_at"),
        "address_verified_at": dtc("address_verified_at"),
        "deceased_at": dtc("deceased_at"),
        "bankruptcy_filed_at": dtc("bankruptcy_filed_at"),
        "updated_at": TS(upd_day, upd_sec),
    })
    # previous version (for rows changed on a delta day W..A): drop what happened from W on
    old_events = {k: np.where((v >= 0) & (v // 86400 >= W), -1, v) for k, v in events.items()}
    oupd = reg.copy()
    for v in old_events.values():
        oupd = np.maximum(oupd, v)
    old_cols = {}
    for k, v in old_events.items():
        if k in ("address_verified_at", "deceased_at", "bankruptcy_filed_at"):
            old_cols[k] = DT(np.where(v >= 0, v // 86400, -1))
        else:
            old_cols[k] = TS(np.where(v >= 0, v // 86400, -1), np.where(v >= 0, v % 86400, 0))
    old_cols["updated_at"] = TS(oupd // 86400, oupd % 86400)
    old = spec.replace(**old_cols)
    G["upd_day"] = upd_day
    return spec, old, upd_day, G["reg_day"]


def _contact_spec(ct: Contacts):
    C = ct.arrays()
    o = np.lexsort((C["sec"], C["g"], C["day"]))
    C = {k: v[o] for k, v in C.items()}
    m = len(C["g"])
    sec = np.clip(C["sec"], 6 * 3600, 23 * 3600)
    spec = Spec({
        "contact_id": ID("C", np.arange(1, m + 1), 9),
        "guarantor_id": ID("G", C["g"] + 1, 8),
        "occurred_at": TS(C["day"], sec, utc=True),
        "channel": EN(ENUMS[("contact_log", "channel")], C["channel"]),
        "direction": EN(ENUMS[("contact_log", "direction")], C["direction"]),
        "outcome": EN(ENUMS[("contact_log", "outcome")], C["outcome"]),
        "promised_amount": MONEY(np.maximum(C["pamount"], 0), null=C["pamount"] < 0),
        "promised_date": DT(C["pdate"]),
        "agent_id": ID("A", C["agent"], 3),
        "updated_at": TS(C["day"], np.minimum(sec + 300, 86399), utc=True),
    })
    return spec, None, C["day"], C["day"]


def _write_kind(out: Path, f: Fmt, kind: str, spec: Spec, old: Spec | None, upd_day, created_day, A: int,
                W: int) -> dict:
    """History (rows last updated before W, plus the previous version of rows created before W
    and updated on W..A) and one delta file per day W..A."""
    cols = COLUMNS[kind]
    upd_day = np.asarray(upd_day, np.int64)
    created_day = np.asarray(created_day, np.int64)
    assert (upd_day <= A).all(), kind
    hist = np.flatnonzero(upd_day < W)
    folder = out / FOLDER[kind]
    tab_h = spec.take(hist).format(f, cols)
    n_old = 0
    if old is not None:
        prev = np.flatnonzero((upd_day >= W) & (created_day < W))
        n_old = len(prev)
        if n_old:
            tab_o = old.take(prev).format(f, cols)
            tab_h = pa.concat_tables([tab_h, tab_o]).sort_by(KEY[kind])
    write_csv(tab_h, folder / f"{kind}_history.csv")
    for day in range(W, A + 1):
        write_csv(spec.take(np.flatnonzero(upd_day == day)).format(f, cols),
                  folder / f"{kind}_{i2d(day).strftime('%Y%m%d')}.csv")
    return {"history": tab_h.num_rows, "delta": int((upd_day >= W).sum()), "previous_versions": n_old,
            "keys": len(upd_day)}


DATED = re.compile(r"_(\d{8})(?:_\d+)?\.[A-Za-z0-9]+$")    # <kind>_<YYYYMMDD>[_n].<ext>


def _stamp_arrivals(out: Path, history_day: date, clinic_tz: str) -> None:
    """Modification time = arrival: a dated file at 23:30 clinic time on its date, every other
    file (history, defects) at 23:30 on `history_day`."""
    tz = ZoneInfo(clinic_tz)
    for p in out.rglob("*"):
        if p.is_file():
            m = DATED.search(p.name)
            day = datetime.strptime(m[1], "%Y%m%d").date() if m else history_day
            t = datetime.combine(day, datetime.min.time().replace(hour=23, minute=30), tz).timestamp()
            os.utime(p, (t, t))


# ============================================================================= SendGrid
SG_EVENTS = ["processed", "delivered", "deferred", "bounce", "dropped", "open", "click", "spamreport",
             "unsubscribe", "group_unsubscribe"]


def _sendgrid(r: R, out: Path, f: Fmt, A: int, G: dict, ct: Contacts) -> dict:
    NG = G["n"]
    ok = G["has_email"] & (G["email_c"] >= 0) & (G["email_c"] < A - 21)
    ok &= (G["email_o"] < 0) & (G["deceased"] < 0) & (G["bankrupt"] < 0)
    gs = np.flatnonzero(ok & r.b(0.05, NG))
    # guarantors whose email bounced (contact log) also get a SendGrid bounce when possible
    gs = np.union1d(gs, np.flatnonzero(G["bounced"] & ok))
    n = len(gs)
    day = A - r.ri(0, 20, n)
    sec = _secs(r, n, 9, 19)
    fate = r.choice(8, [0.8, 0.03, 0.01, 0.03, 0.006, 0.008, 0.005, 0.0], n)
    fate = np.where(G["bounced"][gs], 1, fate)
    opened = r.b(0.45, n)
    clicked = opened & r.b(0.3, n)
    touch = r.g.integers(0, 2 ** 48, n)
    email = _guarantor_email_list(G, gs)
    off = f.off_sec[np.clip(day - f.lo, 0, f.hi - f.lo)]
    t_unix = day * 86400 + sec - off
    ev = []
    for i in range(n):
        gid = f"G{int(gs[i]) + 1:08d}"
        tid = f"tch_{int(touch[i]):012x}"
        base = int(t_unix[i])
        msg = f"{int(touch[i]) % 10 ** 10:010d}.filterdrecv-{int(touch[i]) % 997}"
        common = {"email": email[i], "sg_message_id": msg + ".0", "smtp-id": f"<{tid}@mail.lakesidefhc.example>",
                  "category": ["patient-balance"], "touch_id": tid, "guarantor_id": gid,
                  "custom_args": {"touch_id": tid, "guarantor_id": gid}}
        seq = [("processed", 0, {})]
        fa = int(fate[i])
        if fa == 1:
            seq.append(("bounce", 40, {"type": "bounce", "status": "5.1.1",
                                        "reason": "550 5.1.1 The email account that you tried to reach does not exist"}))
        elif fa == 2:
            seq.append(("dropped", 2, {"reason": "Bounced Address", "status": "5.0.0"}))
        else:
            if fa == 3:
                seq.append(("deferred", 30, {"response": "421 try again later", "attempt": "1"}))
            seq.append(("delivered", 60 if fa != 3 else 900, {"response": "250 OK"}))
            if opened[i] or fa in (4, 5, 6):
                seq.append(("open", 3600 + int(touch[i] % 7200), {"useragent": "Mozilla/5.0", "sg_machine_open": False}))
            if clicked[i]:
                seq.append(("click", 3700 + int(touch[i] % 7200), {"url": "https://pay.lakesidefhc.example/p/" + f"{int(touch[i]):012x}"}))
            if fa == 4:
                seq.append(("spamreport", 7300 + int(touch[i] % 600), {}))
            elif fa == 5:
                seq.append(("unsubscribe", 7300 + int(touch[i] % 600), {}))
            elif fa == 6:
                seq.append(("group_unsubscribe", 7300 + int(touch[i] % 600), {"asm_group_id": 4521}))
        for j, (name, dt, extra) in enumerate(seq):
            ts = base + dt
            e = {"event": name, "timestamp": ts, "sg_event_id": f"{tid}-{j}", **common, **extra}
            ev.append((ts, e))
    ev.sort(key=lambda x: (x[0], x[1]["sg_event_id"]))
    folder = out / "events" / "sendgrid"
    folder.mkdir(parents=True, exist_ok=True)
    by_day: dict[int, list] = {}
    for ts, e in ev:
        loc = ts + int(f.off_sec[np.clip(ts // 86400 - f.lo, 0, f.hi - f.lo)])
        d = min(loc // 86400, A)
        by_day.setdefault(d, []).append(e)
    files = 0
    for d in sorted(by_day):
        if d > A:
            continue
        name = i2d(d).strftime("%Y%m%d")
        (folder / f"sendgrid_{name}.json").write_text(json.dumps(by_day[d], separators=(",", ":")) + "\n")
        files += 1
    return {"files": files, "events": len(ev)}


def _guarantor_email_list(G, gs) -> list[str]:
    return [
        f"{FIRST_MAIL[G['first'][o]]}.{LAST_MAIL[G['last'][o]]}{G['email_n'][g]}@{EMAIL_DOMAINS[G['email_dom'][g]]}"
        for g, o in zip(gs.tolist(), G["email_owner"][gs].tolist())
    ]


# ============================================================================= 835
MAX_CLAIMS_PER_ST = 2000
NO_ST03 = ("AETNA", "CIGNA")   # these payers leave ST03 out, as many real files do


def _claim_text(f: Fmt, C: dict, G: dict, eg, pat_first, pat_num, sd, sel=None):
    if sel is not None:
        C = {k: v[sel] for k, v in C.items()}
    enc = C["enc"]
    g = eg[enc]
    cpts = [p[4] for p in PROVIDERS]
    cpt_tab = [c for p in cpts for c in p]
    status = pc.cast(pa.array(C["status"]), pa.string())
    filing = pick([p[3] for p in PAYERS], C["payer"])
    clp07 = pc.cast(pa.array(C["clp07"]), pa.string())
    return x12.claim_blocks(
        clp01=ids("E", enc + 1, 9), status=status, charge=C["charge"], paid=C["paid"], resp=C["resp"],
        filing=filing, clp07=clp07, last=pick(LAST_X12, G["last"][g]), first=pick(FIRST_X12, pat_first[enc]),
        member=ids("M", pat_num[enc], 10), service_date=f.yyyymmdd(sd[enc]), co45=C["co45"], oa23=C["oa23"],
        pr1=C["pr1"], pr2=C["pr2"], pr3=C["pr3"], pr204=C["pr204"], co_denial=C["co_den"],
        co_denial_reason=pick(["50", "97", "29"], C["co_den_code"]), svc_lines=C["svc"],
        cpt1=pick(cpt_tab, C["prov"] * 4 + C["cpt1"]), cpt2=pick(cpt_tab, C["prov"] * 4 + C["cpt2"]),
        svc_split=C["split"],
    )


def _payer_party(p: int) -> x12.Party:
    pid, name, _, _, _, _, _, (addr, city, st, z) = PAYERS[p]
    return x12.Party(name, "XV", pid, addr, city, st, z)


def _write_era(out: Path, f: Fmt, r: R, C: dict, G: dict, eg, pat_first, pat_num, sd, say, seed: int, A: int) -> dict:
    era = out / "era"
    era.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 835])
    n = len(C["enc"])
    texts, segs = _claim_text(f, C, G, eg, pat_first, pat_num, sd) if n else (pa.array([], pa.large_string()), np.zeros(0, np.int64))
    key = C["day"] * 16 + C["payer"]
    starts = _first_per_group(key)
    ends = np.r_[starts[1:], n]
    isa_ctrl = 0
    n_tx = 0
    step = max(len(starts) // 10, 1)
    for fi, (a, b) in enumerate(zip(starts.tolist(), ends.tolist())):
        p = int(C["payer"][a])
        day = int(C["day"][a])
        ymd = i2d(day).strftime("%Y%m%d")
        prod = i2d(day - 2).strftime("%Y%m%d")
        pid, _, _, _, tin, method, newline, _ = PAYERS[p]
        idx = np.arange(a, b)
        is_sec = C["status"][idx] == 2
        groups = []
        prim = idx[~is_sec]
        if len(prim):
            k = -(-len(prim) // MAX_CLAIMS_PER_ST)
            ch = C["enc"][prim] % k
            groups += [prim[ch == j] for j in range(k)]
        if is_sec.any():
            groups.append(idx[is_sec])
        txs = []
        for j, grp in enumerate(groups):
            if not len(grp):
                continue
            n_tx += 1
            paid = int(C["paid"][grp].sum())
            plb = []
            u = rng.random()
            if u < 0.08 and paid > 0:
                plb.append(("L6", -int(rng.integers(50, 6000))))
            elif u < 0.13 and paid >= 10000:
                plb.append((f"WO:{int(rng.integers(10**9, 10**10))}", int(paid * (0.05 + 0.25 * rng.random()))))
            bal = paid - sum(x[1] for x in plb)
            trace = f"{pid[:3]}{ymd}{j + 1:03d}{int(rng.integers(1000, 9999))}"
            if bal < 0:
                plb.append((f"FB:{trace}", bal))
            txs.append(x12.Transaction(
                st_control=f"{j + 1:04d}", payer=_payer_party(p), payee=CLINIC, payee_tin=CLINIC_TIN,
                pay_date=ymd, production_date=prod, trace=trace, payer_tin=tin, method=method,
                claims_text=x12.concat_text(texts, grp), claims_segments=int(segs[grp].sum()),
                paid_total=paid, plb=plb, payee_npi=CLINIC.id, st03=pid not in NO_ST03,
            ))
        isa_ctrl += 1
        text = x12.interchange(txs, sender=pid, receiver=CLINIC_RECEIVER_ID, date=prod, time=f"{6 + p:02d}00",
                               isa_control=isa_ctrl, gs_control=isa_ctrl, newline=newline)
        (era / f"{pid}_{ymd}_1.835").write_text(text)
        if fi % step == 0 and len(starts) > 20:
            say(f"835 files {100 * fi // len(starts)}% …")
    return {"files": len(starts), "claims": n, "transactions": n_tx, "texts": texts, "segs": segs}


# ============================================================================= defects
def _write_defects(out: Path, f: Fmt, r: R, A: int, G: dict, eg, sd, charge, T: dict, bal_e, C: dict, era: dict,
                   pat_first, pat_num) -> dict:
    ymd_a = i2d(A).isoformat()
    ts_a = f.ts_scalar(A, 10 * 3600)
    ts_a2 = f.ts_scalar(A, 11 * 3600)
    pm = out / "pm"
    resolved: dict = {}

    # --- guarantors without last_name: whole file rejected
    cols = [c for c in COLUMNS["guarantors"] if c != "last_name"]
    rows = [["GDEF0001", "", "Ann", "1980-02-03", "1 Main St", "", "Chicago", "IL", "60614", "3125550101", "", "",
             "sms", "en", ts_a, "", "", "", "", ymd_a, "", "", ts_a],
            ["GDEF0002", "", "Bo", "1975-05-06", "2 Oak Ave", "", "Chicago", "IL", "60615", "", "", "", "mail", "en",
             "", "", "", "", "", "", "", "", ts_a],
            ["GDEF0003", "", "Cy", "1990-07-08", "3 Elm St", "", "Evanston", "IL", "60201", "", "", "", "", "", "", "",
             "", "", "", "", "", "", ts_a]]
    _write_rows(pm / "guarantors_defect_missing_column.csv", cols, rows)

    # --- guarantors with bad rows beside good ones
    gcols = COLUMNS["guarantors"]

    def grow(gid, **kw):
        base = dict(guarantor_id=gid, household_id="", first_name="Dee", last_name="Fect", date_of_birth="1970-01-15",
                    address_line1="10 Lake Shore Dr", address_line2="", city="Chicago", state="IL",
                    postal_code="60611", phone="3125550199", email="", timezone="America/Chicago",
                    preferred_channel="mail", language="en", sms_consent_at="", email_consent_at="",
                    card_on_file_consent_at="", sms_opt_out_at="", email_opt_out_at="", address_verified_at=ymd_a,
                    deceased_at="", bankruptcy_filed_at="", updated_at=ts_a)
        base.update(kw)
        return [base[c] for c in gcols]

    _write_rows(pm / "guarantors_defect_rows.csv", gcols, [
        grow("GDEF-GOOD-1"),                                   # line 2
        grow("GDEF-STATE-ZZ", state="ZZ"),                     # line 3
        grow("GDEF-GOOD-2", first_name="Eve", timezone=""),    # line 4
        grow("GDEF-CHANNEL", preferred_channel="fax"),         # line 5
        grow("GDEF-BADDOB", date_of_birth="1988-02-30"),       # line 6
        grow("GDEF-NOLAST", last_name=""),                     # line 7
        grow("GDEF-GOOD-3", state="WI", city="Milwaukee", postal_code="53202"),  # line 8
    ])

    # --- encounters
    ecols = COLUMNS["encounters"]
    g_ok = "G00000001"

    def erow(eid, **kw):
        base = dict(encounter_id=eid, guarantor_id=g_ok, patient_id="P900000001", service_date=i2d(A - 1).isoformat(),
                    provider_npi=PROVIDERS[0][0], location=PROVIDERS[0][2], specialty=PROVIDERS[0][1],
                    total_charge="150.00", primary_payer_id="SELFPAY", secondary_payer_id="",
                    claim_submitted_at="", updated_at=ts_a)
        base.update(kw)
        return [base[c] for c in ecols]

    future = i2d(A + 5 * 365).isoformat()
    _write_rows(pm / "encounters_defect_rows.csv", ecols, [
        erow("EDEF-GOOD-1"),                                       # 2
        erow("EDEF-ORPHAN", guarantor_id="G99999999"),             # 3
        erow("EDEF-GOOD-2", total_charge="89.50"),                 # 4
        erow("EDEF-NEGATIVE", total_charge="-120.00"),             # 5
        erow("EDEF-FUTURE", service_date=future),                  # 6
        erow("EDEF-NOPATIENT", patient_id=""),                     # 7
        erow("EDEF-GOOD-3", total_charge="210.00"),                # 8
    ])

    # --- patient transactions
    tcols = COLUMNS["patient_transactions"]
    # good payments: $10 on encounters that still owe at least $20
    owing = np.flatnonzero(bal_e >= 2000)[:4]
    good = []
    for i, e in enumerate(owing.tolist()):
        good.append(dict(transaction_id=f"TDEF-GOOD-{i + 1}", guarantor_id=f"G{int(eg[e]) + 1:08d}",
                         encounter_id=f"E{e + 1:09d}", posted_at=ymd_a, type="payment", reason="",
                         amount="10.00", method="portal", plan_id="", updated_at=ts_a))
    while len(good) < 4:   # tiny clinics: on-account payments instead
        good.append(dict(transaction_id=f"TDEF-GOOD-{len(good) + 1}", guarantor_id=g_ok, encounter_id="",
                         posted_at=ymd_a, type="payment", reason="", amount="10.00", method="portal", plan_id="",
                         updated_at=ts_a))
    first = {k: T[k][0] for k in T}
    ref_g = f"G{int(first['g']) + 1:08d}"
    ref_e = f"E{int(first['e']) + 1:09d}" if first["e"] >= 0 else ""

    def trow(tid, **kw):
        base = dict(transaction_id=tid, guarantor_id=good[0]["guarantor_id"], encounter_id=good[0]["encounter_id"],
                    posted_at=ymd_a, type="payment", reason="", amount="25.00", method="card", plan_id="",
                    updated_at=ts_a2)
        base.update(kw)
        return [base[c] for c in tcols]

    def gd(i):
        return [good[i][c] for c in tcols]

    _write_rows(pm / "patient_transactions_defect_rows.csv", tcols, [
        gd(0),                                                                          # 2
        trow("TDEF-DOLLAR", amount="$1,200.00"),                                       # 3
        trow("TDEF-THOUSANDS", amount="1,200.00"),                                     # 4
        gd(1),                                                                          # 5
        trow("TDEF-GIFT", type="gift"),                                                 # 6
        trow("TDEF-BITCOIN", method="bitcoin"),                                         # 7
        gd(2),                                                                          # 8
        trow("TDEF-ORPHAN", guarantor_id="G99999999", encounter_id=""),                 # 9
        trow("T000000001", guarantor_id=ref_g, encounter_id=ref_e, amount="-50.00",
             posted_at=i2d(int(first["day"])).isoformat()),                             # 10
        trow("TDEF-BADDATE", posted_at="2026-13-45"),                                   # 11
        gd(3),                                                                          # 12
        trow(""),                                                                       # 13
    ])

    # --- 835 defects: copies of real primary adjudications (same CLP07, same date)
    era_dir = out / "era"
    texts, segs = era["texts"], era["segs"]
    # all from one (payer, payment date): exact re-deliveries of adjudications already in era/
    e_counts = np.bincount(C["enc"], minlength=len(sd))
    elig = (C["status"] == 1) & (e_counts[C["enc"]] == 1) & (C["paid"] > 0)
    if not elig.any():
        elig = C["status"] != 22
    key = C["day"] * 16 + C["payer"]
    if elig.any():
        ks, kc = np.unique(key[elig], return_counts=True)
        best = ks[np.argmax(kc)]
        cand = np.flatnonzero(elig & (key == best))
    else:
        cand = np.zeros(0, np.int64)
    pick_ = cand[np.linspace(0, len(cand) - 1, num=min(8, len(cand))).astype(int)].tolist() if len(cand) else []
    while 0 < len(pick_) < 8:
        pick_.append(pick_[len(pick_) % len(pick_)])

    def tr(claims, st, **kw):
        claims = [c for c in claims]
        p = int(C["payer"][claims[0]])
        day = int(C["day"][claims[0]])
        pid, _, _, _, tin, method, _, _ = PAYERS[p]
        ymd = i2d(day).strftime("%Y%m%d")
        return x12.Transaction(
            st_control=st, payer=_payer_party(p), payee=CLINIC, payee_tin=CLINIC_TIN, pay_date=ymd,
            production_date=ymd, trace=f"DEF{ymd}{st}", payer_tin=tin, method=method,
            claims_text=x12.concat_text(texts, claims), claims_segments=int(sum(int(segs[c]) for c in claims)),
            paid_total=int(sum(int(C["paid"][c]) for c in claims)), payee_npi=CLINIC.id, **kw)

    def env(txs, ctrl, **kw):
        return x12.interchange(txs, sender="DEFECTS", receiver=CLINIC_RECEIVER_ID, date=i2d(A).strftime("%Y%m%d"),
                               time="0900", isa_control=900000000 + ctrl, gs_control=9000 + ctrl, **kw)

    enc_of = lambda cl: [f"E{int(C['enc'][c]) + 1:09d}" for c in cl]  # noqa: E731
    if len(pick_) >= 2:
        a, b = pick_[:4], pick_[4:8] or pick_[:1]
        full = env([tr(a[:2], "0001"), tr(a[2:] or a[:1], "0002")], 1)
        cut = full.index("CLP*", full.index("ST*835*0002")) + 20
        (era_dir / "defect_truncated.835").write_text(full[:cut])
        (era_dir / "defect_unbalanced.835").write_text(
            env([tr(b[:2], "0001", bpr_delta=1000), tr(b[2:] or b[:1], "0002")], 2, newline=True))
        (era_dir / "defect_bad_se_count.835").write_text(env([tr(a[:2], "0001", se_delta=2)], 3))
        dup = env([tr(b[:1], "0001")], 4)
        (era_dir / "defect_duplicate_a.835").write_text(dup)
        (era_dir / "defect_duplicate_b.835").write_text(dup)
        (era_dir / "defect_missing_bpr16.835").write_text(env([tr(a[:1], "0001", omit_bpr16=True)], 5))
        (era_dir / "defect_version_4010.835").write_text(
            env([tr(b[:1], "0001", version="004010X091A1")], 6, version="004010X091A1"))
        # an unmatched CLP01
        unm = x12.concat_text(texts, [a[0]]).replace(f"CLP*E{int(C['enc'][a[0]]) + 1:09d}*", "CLP*EDEF-NO-SUCH-ENCOUNTER*", 1)
        t_un = tr(a[:1], "0001")
        t_un.claims_text = unm
        (era_dir / "defect_unmatched_claim.835").write_text(env([t_un], 7))
        odd = env([tr(a[:1], "0001")], 8)
        odd = odd.replace("LX*1~", "LX*1~ZZZ*UNKNOWN SEGMENT*42~", 1)
        odd = odd.replace(f"SE*{int(segs[a[0]]) + 14}*0001~", f"SE*{int(segs[a[0]]) + 15}*0001~", 1)
        (era_dir / "defect_unknown_segment.835").write_text(odd)
        mism = env([tr(b[:1], "0001")], 9)
        mism = mism.replace(f"IEA*1*{900000009:09d}~", f"IEA*1*{900000099:09d}~", 1)
        (era_dir / "defect_control_mismatch.835").write_text(mism)
        resolved["era"] = {
            "defect_unknown_segment.835": {"loaded": enc_of(a[:1])},
            "defect_control_mismatch.835": {"loaded": enc_of(b[:1])},
            "defect_truncated.835": {"clp01": enc_of(a)},
            "defect_unbalanced.835": {"held": enc_of(b[:2]), "loaded": enc_of(b[2:] or b[:1])},
            "defect_bad_se_count.835": {"loaded": enc_of(a[:2])},
            "defect_duplicate_a.835": {"loaded": enc_of(b[:1])},
            "defect_missing_bpr16.835": {"loaded": enc_of(a[:1])},
            "defect_version_4010.835": {"loaded": enc_of(b[:1])},
            "defect_unmatched_claim.835": {"unmatched": ["EDEF-NO-SUCH-ENCOUNTER"]},
        }
    resolved["patient_transactions_good"] = [g_["transaction_id"] for g_ in good]
    resolved["list"] = DEFECTS
    return resolved


def _write_rows(path: Path, cols: list[str], rows: list[list[str]]) -> None:
    import csv
    import io
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    w.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buf.getvalue())


# ============================================================================= CLI
def _parse_date(s: str) -> date:
    try:
        return date.fromisoformat(s)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {s}") from exc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m orchestration.sample",
                                 description="Write a deterministic sample clinic into a landing folder.")
    ap.add_argument("--out", required=True, type=Path, help="landing folder to write (era/, pm/, ops/, events/)")
    ap.add_argument("--guarantors", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--as-of", type=_parse_date, default=date(2026, 11, 20), dest="as_of")
    ap.add_argument("--days", type=int, default=200, help="days of history before --as-of")
    ap.add_argument("--delta-days", type=int, default=1, dest="delta_days",
                    help="one dated delta file per kind for each of the last N days (default 1: --as-of)")
    ap.add_argument("--clinic-tz", default="America/Chicago", dest="clinic_tz")
    ap.add_argument("--defects", action="store_true", help="also write the bad inputs of LANDING.md")
    ap.add_argument("--force", action="store_true", help="replace era/, pm/, ops/, events/ in a non-empty --out")
    a = ap.parse_args(argv)
    try:
        ZoneInfo(a.clinic_tz)
    except Exception:
        print(f"error: unknown time zone {a.clinic_tz!r}", file=sys.stderr)
        return 2
    try:
        s = generate(a.out, guarantors=a.guarantors, seed=a.seed, as_of=a.as_of, days=a.days, delta_days=a.delta_days,
                     defects=a.defects,
                     clinic_tz=a.clinic_tz, force=a.force,
                     progress=lambda m: print(m, file=sys.stderr, flush=True))
    except (FileExistsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = " ".join(f"{k}={v:,}" for k, v in s["rows"].items())
    print(f"{a.out}: {rows} era_files={s['era_files']:,} era_claims={s['era_claims']:,} "
          f"sendgrid_events={s['sendgrid_events']:,}" + (" defects=yes" if a.defects else "")
          + f" ({s['seconds']} s)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
