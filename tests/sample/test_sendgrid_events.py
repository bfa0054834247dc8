"""sendgrid_events: webhook batches with the pipeline's custom_args, events of the contract."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from orchestration.landing.contract import SENDGRID_EVENTS
from tests.sample.landing_reader import AS_OF, local_date, read_kind


def test_events_and_custom_args(sample_clinic):
    root, _ = sample_clinic
    g_all = {r["guarantor_id"] for r in read_kind(root, "guarantors")}
    for f in (root / "events" / "sendgrid").glob("*.json"):
        for ev in json.loads(f.read_text()):
            assert ev["guarantor_id"] in g_all
            assert ev["custom_args"]["guarantor_id"] == ev["guarantor_id"]
            assert ev["event"] in SENDGRID_EVENTS


def test_a_file_per_clinic_day_in_time_order(sample_clinic):
    root, _ = sample_clinic
    files = sorted((root / "events" / "sendgrid").glob("*.json"))
    assert files
    for f in files:
        events = json.loads(f.read_text())
        assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
        first = datetime.fromtimestamp(events[0]["timestamp"], UTC).isoformat()
        assert f.stem == "sendgrid_" + local_date(first).replace("-", "")
        assert f.stem <= f"sendgrid_{AS_OF:%Y%m%d}"
