"""The bad inputs of the landing contract (`--defects`): which file holds which fault, and what
the pipeline must do with it.

Each entry names the file, the kind, the expected handling (quarantine, reject rows, held
transaction, warning, duplicate, unmatched), the reason, the column (or X12 element), the
1-based line of a row defect, the keys that must be rejected (`bad_ids`; for 835s the ST02
control numbers or the CLP01) and those beside them that must load (`good_ids`). The CLP01s
of the 835 defects depend on the clinic: `generate()` returns them under `defects`.
"""

from __future__ import annotations

DEFECTS: list[dict] = [
    {
        "file": "pm/guarantors_defect_missing_column.csv",
        "kind": "guarantors",
        "expected": "quarantine",
        "reason": "missing required column",
        "column": "last_name",
        "line": None,
        "bad_ids": ["GDEF0001", "GDEF0002", "GDEF0003"],
        "good_ids": [],
    },
    # --- patient_transactions: one bad row each, good rows beside them
    *[
        {
            "file": "pm/patient_transactions_defect_rows.csv",
            "kind": "patient_transactions",
            "expected": "reject rows",
            "reason": reason,
            "column": col,
            "line": line,
            "bad_ids": [tid],
            "good_ids": ["TDEF-GOOD-1", "TDEF-GOOD-2", "TDEF-GOOD-3", "TDEF-GOOD-4"],
        }
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
        {
            "file": "pm/encounters_defect_rows.csv",
            "kind": "encounters",
            "expected": "reject rows",
            "reason": reason,
            "column": col,
            "line": line,
            "bad_ids": [eid],
            "good_ids": ["EDEF-GOOD-1", "EDEF-GOOD-2", "EDEF-GOOD-3"],
        }
        for reason, col, line, eid in [
            ("orphan guarantor", "guarantor_id", 3, "EDEF-ORPHAN"),
            ("negative amount", "total_charge", 5, "EDEF-NEGATIVE"),
            ("future date", "service_date", 6, "EDEF-FUTURE"),
            ("missing required value", "patient_id", 7, "EDEF-NOPATIENT"),
        ]
    ],
    *[
        {
            "file": "pm/guarantors_defect_rows.csv",
            "kind": "guarantors",
            "expected": "reject rows",
            "reason": reason,
            "column": col,
            "line": line,
            "bad_ids": [gid],
            "good_ids": ["GDEF-GOOD-1", "GDEF-GOOD-2", "GDEF-GOOD-3"],
        }
        for reason, col, line, gid in [
            ("unknown enum", "state", 3, "GDEF-STATE-ZZ"),
            ("unknown enum", "preferred_channel", 5, "GDEF-CHANNEL"),
            ("invalid date", "date_of_birth", 6, "GDEF-BADDOB"),
            ("missing required value", "last_name", 7, "GDEF-NOLAST"),
        ]
    ],
    # --- 835s.  ids: ST02 control numbers; the CLP01s are in the summary's "defects".
    {
        "file": "era/defect_truncated.835",
        "kind": "era",
        "expected": "quarantine",
        "reason": "truncated",
        "column": None,
        "line": None,
        "bad_ids": ["0001", "0002"],
        "good_ids": [],
    },
    {
        "file": "era/defect_unbalanced.835",
        "kind": "era",
        "expected": "held transaction",
        "reason": "unbalanced",
        "column": "BPR02",
        "line": None,
        "bad_ids": ["0001"],
        "good_ids": ["0002"],
    },
    {
        "file": "era/defect_bad_se_count.835",
        "kind": "era",
        "expected": "warning",
        "reason": "SE count",
        "column": "SE01",
        "line": None,
        "bad_ids": [],
        "good_ids": ["0001"],
    },
    {
        "file": "era/defect_duplicate_b.835",
        "kind": "era",
        "expected": "duplicate",
        "reason": "same SHA-256 as era/defect_duplicate_a.835",
        "column": None,
        "line": None,
        "bad_ids": [],
        "good_ids": ["0001"],
    },
    {
        "file": "era/defect_missing_bpr16.835",
        "kind": "era",
        "expected": "warning",
        "reason": "BPR16 missing",
        "column": "BPR16",
        "line": None,
        "bad_ids": [],
        "good_ids": ["0001"],
    },
    {
        "file": "era/defect_version_4010.835",
        "kind": "era",
        "expected": "warning",
        "reason": "4010 version",
        "column": "GS08",
        "line": None,
        "bad_ids": [],
        "good_ids": ["0001"],
    },
    {
        "file": "era/defect_unknown_segment.835",
        "kind": "era",
        "expected": "warning",
        "reason": "unknown segment",
        "column": "ZZZ",
        "line": None,
        "bad_ids": [],
        "good_ids": ["0001"],
    },
    {
        "file": "era/defect_control_mismatch.835",
        "kind": "era",
        "expected": "warning",
        "reason": "control number mismatch",
        "column": "IEA02",
        "line": None,
        "bad_ids": [],
        "good_ids": ["0001"],
    },
    {
        "file": "era/defect_unmatched_claim.835",
        "kind": "era",
        "expected": "unmatched",
        "reason": "CLP01 matches no encounter",
        "column": "CLP01",
        "line": None,
        "bad_ids": ["EDEF-NO-SUCH-ENCOUNTER"],
        "good_ids": ["0001"],
    },
]
DEFECT_FILES = sorted({d["file"] for d in DEFECTS} | {"era/defect_duplicate_a.835"})
