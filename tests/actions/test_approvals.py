from datetime import date

import pytest

from orchestration.actions.outreach import approvals


def test_every_script_is_approved_and_no_template_carries_clinical_detail():
    scripts = approvals.load_approvals()
    assert set(approvals.SCRIPTS) <= set(scripts)
    assert approvals.clinical_words() == {}


def test_stale_approval_is_reported():
    scripts = {
        "sms_reminder": {"approved_on": date(2026, 1, 1), "approved_by": "x"},
        "email_context": {"approved_on": date(2026, 11, 1), "approved_by": "x"},
    }
    assert approvals.stale_scripts(date(2026, 11, 27), scripts) == ["sms_reminder"]
    assert approvals.stale_scripts(date(2026, 1, 31), scripts) == []


def test_missing_approval_is_an_error(tmp_path):
    (tmp_path / "approvals.yaml").write_text("scripts:\n  sms_reminder: {approved_on: 2026-11-20, approved_by: x}\n")
    with pytest.raises(ValueError, match="no approval recorded for email_context"):
        approvals.load_approvals(tmp_path / "approvals.yaml")


def test_clinical_word_is_found(tmp_path):
    (tmp_path / "x.txt").write_text("Your diagnosis code is on file.")
    assert approvals.clinical_words(tmp_path) == {"x.txt": ["diagnosis"]}
