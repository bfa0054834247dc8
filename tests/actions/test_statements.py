"""One-page statements: content, QR, manifest, file modes, re-run safety."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import stat
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from orchestration.actions.outreach import render
from orchestration.actions.outreach import statements as st
from orchestration.actions.outreach.tokens import pay_token, pay_url, url_maker
from tests.actions.conftest import SECRET, make_touch


def _touches(n, **over):
    return [make_touch(i, step="statement_1", channel="mail", **over) for i in range(1, n + 1)]


def _text(path) -> str:
    return PdfReader(str(path)).pages[0].extract_text()


def test_render_batch_pdfs_manifest_and_qr(clinic, tmp_path):
    out = tmp_path / "2026-11-20" / "statements"
    touches = _touches(5)
    touches[1]["first_name"] = "Zoë Łucja 李"  # outside cp1252: transliterated, never crashes
    url_for = url_maker(clinic["pay_site"], SECRET)
    res = st.render_batch(touches, out, clinic=clinic, url_for=url_for, workers=2, chunk_size=2, min_pool_batch=1)
    assert res["statements"] == 5 and res["pages"] == 5
    assert Decimal(res["amount_due_total"]) == sum(Decimal("1234.56") + i for i in range(1, 6))
    rows = list(csv.DictReader((out / "manifest.csv").open()))
    assert [r["touch_id"] for r in rows] == [t["touch_id"] for t in touches]
    assert list(rows[0]) == ["touch_id", "file", "pages", "amount_due", "sha256"]
    for t, row in zip(touches, rows, strict=True):
        pdf = out / row["file"]
        assert row["file"] == f"{t['touch_id']}.pdf" and row["pages"] == "1"
        assert row["amount_due"] == str(t["balance"].quantize(Decimal("0.01")))
        assert hashlib.sha256(pdf.read_bytes()).hexdigest() == row["sha256"]
        assert stat.S_IMODE(pdf.stat().st_mode) == 0o600
        reader = PdfReader(str(pdf))
        assert len(reader.pages) == 1
        text = reader.pages[0].extract_text()
        amount = f"${t['balance']:,.2f}"
        for needle in (
            amount,
            "Please pay by Dec 10, 2026",
            "Amount due",
            "Summary",
            "Your visits",
            "Sep 28, 2026",
            "Charge",
            "$2,000.00",
            "Insurance paid",
            "$765.44",
            "Your portion",
            "$1,234.56",
            "Ways to pay",
            "(555) 010-2400",
            "Mon-Fri 8am-6pm",
            "PO Box 100",
            "Call us if this looks wrong.",
        ):
            assert needle in text, needle
        assert text.strip().splitlines()[-1] == "Call us if this looks wrong."
        url = pay_url(clinic["pay_site"], pay_token(t["touch_id"], SECRET))
        assert url.removeprefix("https://") in text
        # the QR image decodes to exactly the pay URL's QR matrix
        images = reader.pages[0].images
        assert len(images) == 1
        img = images[0].image.convert("L")
        matrix = render.qr_matrix(url)
        assert img.size == (len(matrix), len(matrix))
        assert all((img.getpixel((x, y)) < 128) == matrix[y][x] for y in range(len(matrix)) for x in range(len(matrix)))
    assert stat.S_IMODE((out / "manifest.csv").stat().st_mode) == 0o600
    totals = json.loads((out / "manifest.totals.json").read_text())
    assert totals["statements"] == 5 and totals["pages"] == 5
    assert "Marguerite" not in (out / "manifest.csv").read_text()
    assert not list(out.glob(".*"))  # no temp files left behind


def test_rerun_never_overwrites_a_handed_off_pdf(clinic, tmp_path):
    url_for = url_maker(clinic["pay_site"], SECRET)
    touches = _touches(3)
    st.render_batch(touches[:2], tmp_path, clinic=clinic, url_for=url_for, workers=1)
    before = (tmp_path / "T000001.pdf").read_bytes()
    with pytest.raises(ValueError, match="already named"):
        st.render_batch(touches[:1], tmp_path, clinic=clinic, url_for=url_for, workers=1)
    assert (tmp_path / "T000001.pdf").read_bytes() == before
    # an orphan (crash before the manifest) may be replaced; a later batch of the same date gets
    # a manifest of its own: the manifest that left is never changed (docs/rules.md §4 "Re-runs")
    first_manifest = (tmp_path / "manifest.csv").read_bytes()
    (tmp_path / "T000003.pdf").write_bytes(b"half-written by a crashed run")
    st.render_batch(touches[2:], tmp_path, clinic=clinic, url_for=url_for, workers=1)
    assert (tmp_path / "manifest.csv").read_bytes() == first_manifest
    rows = list(csv.DictReader((tmp_path / "manifest_0002.csv").open()))
    assert [r["touch_id"] for r in rows] == ["T000003"]
    assert json.loads((tmp_path / "manifest_0002.totals.json").read_text())["statements"] == 1
    assert [r["touch_id"] for r in st.read_manifest(tmp_path)] == ["T000001", "T000002", "T000003"]
    assert len(PdfReader(str(tmp_path / "T000003.pdf")).pages) == 1


def test_plan_confirmation_variant_and_no_due_date(clinic, tmp_path):
    t = make_touch(
        1,
        step="statement_2",
        channel="mail",
        variant="plan_confirmation",
        plan_payments=3,
        plan_amount=Decimal("100"),
        plan_next_due=date(2026, 12, 15),
        due_date=None,
    )
    row = st.render_statement(
        t, clinic, "https://pay.riverbend.example/p/abcdefghijklmnopqrst", tmp_path / "T000001.pdf"
    )
    text = _text(tmp_path / row["file"])
    assert "Your payment plan: 3 payments of $100.00, next payment due Dec 15, 2026" in text
    # the plan line takes the title of the amount box; "Amount due" stays only in the summary box
    assert text.count("Amount due") == 1 and "Due upon receipt" in text and "$1,235.56" in text


def test_a_batch_reaches_the_disk_before_its_manifest(clinic, tmp_path, monkeypatch):
    """Statements are written without an fsync each and made durable together once all are
    written (every PDF fsynced once, then the folder) before the manifest that hands them off
    is written, itself durably."""
    import threading

    events = []
    lock = threading.Lock()
    real_fsync = os.fsync

    def fsync(fd):
        name = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
        with lock:
            events.append((name, len(list(tmp_path.glob("T*.pdf")))))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    url_for = url_maker(clinic["pay_site"], SECRET)
    st.render_batch(_touches(3), tmp_path, clinic=clinic, url_for=url_for, workers=1)
    names = [n for n, _ in events]
    pdfs = [i for i, n in enumerate(names) if n.endswith(".pdf")]
    assert sorted(names[i] for i in pdfs) == ["T000001.pdf", "T000002.pdf", "T000003.pdf"]  # once each
    assert all(events[i][1] == 3 for i in pdfs)  # after the whole batch was written
    first_manifest = min(i for i, n in enumerate(names) if "manifest.csv" in n)
    assert max(pdfs) < names.index(tmp_path.name) < first_manifest  # the PDFs, their folder, then the hand-off


def test_sync_written_fsyncs_each_file_then_its_folder(tmp_path, monkeypatch):
    from orchestration.actions import files

    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(os.readlink(f"/proc/self/fd/{fd}")) or real_fsync(fd))
    paths = [files.atomic_write(tmp_path / f"{i}.pdf", b"%PDF", durable=False) for i in range(20)]
    assert synced == []
    files.sync_written(paths)
    assert sorted(synced[:-1]) == sorted(str(p) for p in paths) and synced[-1] == str(tmp_path)
