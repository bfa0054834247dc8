"""Many small e-mail requests (a day of single-touch move e-mails at a large clinic): the
ledger is marked `sending` a run of requests at a time (at most 1,000 touches), never after a
request went, and the outbox numbers its files without listing the folder per file."""

from __future__ import annotations

import json
from datetime import date

from orchestration.actions.outreach import email as em
from tests.actions.conftest import API_KEY

AS_OF = date(2026, 11, 20)


def _single_touch_requests(n: int) -> list[em.EmailRequest]:
    return [
        em.EmailRequest({"personalizations": [{"custom_args": {"touch_id": f"T{i:06d}"}}]}, (f"T{i:06d}",))
        for i in range(1, n + 1)
    ]


def test_many_single_touch_requests_are_marked_a_thousand_at_a_time(sendgrid_server, sleeper):
    reqs = _single_touch_requests(2100)
    events: list[tuple[str, int]] = []
    sender = em.EmailSender(
        API_KEY,
        host=sendgrid_server.url,
        sleep=sleeper,
        clock=lambda: 1.0,
        before_send=lambda ids: events.append(("mark", len(ids), len(sendgrid_server.requests))),
    )
    results = sender.send(reqs)
    assert [e[1] for e in events] == [1000, 1000, 100]
    # each run was marked before its first request reached the server
    assert [e[2] for e in events] == [0, 1000, 2000]
    assert len(sendgrid_server.requests) == 2100 and {r.status for r in results} == {"sent"}


def test_outbox_writes_many_files_in_order_and_continues_after_a_rerun(tmp_path):
    sender = em.EmailSender(None, outbox_dir=tmp_path, as_of=AS_OF)
    sender.send(_single_touch_requests(1200))
    folder = tmp_path / AS_OF.isoformat() / "email"
    names = sorted(p.name for p in folder.iterdir())
    assert names[0] == "request_0001.json" and names[-1] == "request_1200.json" and len(names) == 1200
    assert json.loads((folder / "request_1199.json").read_text())["personalizations"][0]["custom_args"] == {
        "touch_id": "T001199"
    }
    sender.send(_single_touch_requests(2))  # a re-run adds, never overwrites
    assert (folder / "request_1202.json").exists() and len(list(folder.iterdir())) == 1202
