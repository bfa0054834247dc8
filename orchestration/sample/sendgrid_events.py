"""SendGrid Event Webhook batches (events/sendgrid/sendgrid_<YYYYMMDD>.json).

In the 21 days before the as-of date the clinic e-mailed 5% of the guarantors it may e-mail
(consent older than three weeks, no opt-out, not deceased or bankrupt), plus every one whose
address bounced in the contact log. Each message is processed, then mostly delivered (some
after a deferral), sometimes opened and clicked; a few bounce, are dropped, reported as spam
or unsubscribed. Events go to the file of their clinic-local day, in time order.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .dates import SECONDS_PER_DAY, DateFormatter, day_date
from .guarantor_rows import email_addresses
from .guarantors import Guarantors
from .ids import guarantor_id
from .randomness import Randomness, seconds_of_day

# what becomes of a message
(
    FATE_DELIVERED,
    FATE_BOUNCED,
    FATE_DROPPED,
    FATE_DEFERRED,
    FATE_SPAM_REPORT,
    FATE_UNSUBSCRIBED,
    FATE_GROUP_UNSUBSCRIBED,
    FATE_UNUSED,
) = range(8)
FATE_WEIGHTS = [0.8, 0.03, 0.01, 0.03, 0.006, 0.008, 0.005, 0.0]
OPTED_OUT_AFTER_OPENING = {
    FATE_SPAM_REPORT: ("spamreport", {}),
    FATE_UNSUBSCRIBED: ("unsubscribe", {}),
    FATE_GROUP_UNSUBSCRIBED: ("group_unsubscribe", {"asm_group_id": 4521}),
}


def write_sendgrid_events(
    rng: Randomness, out: Path, dates: DateFormatter, as_of_day: int, people: Guarantors, email_bounced: np.ndarray
) -> dict:
    """Write the batches under `out`; return the number of files and events."""
    messages = _messages(rng, dates, as_of_day, people, email_bounced)
    events = []
    for message in messages:
        events += _message_events(*message)
    events.sort(key=lambda timed: (timed[0], timed[1]["sg_event_id"]))
    folder = out / "events" / "sendgrid"
    folder.mkdir(parents=True, exist_ok=True)
    instants = np.array([instant for instant, _ in events], np.int64)
    local_day = np.minimum(
        (instants + dates.utc_offset_seconds(instants // SECONDS_PER_DAY)) // SECONDS_PER_DAY, as_of_day
    )
    by_day: dict[int, list] = {}
    for day, (_, event) in zip(local_day.tolist(), events, strict=True):
        by_day.setdefault(day, []).append(event)
    for day in sorted(by_day):
        name = day_date(day).strftime("%Y%m%d")
        (folder / f"sendgrid_{name}.json").write_text(json.dumps(by_day[day], separators=(",", ":")) + "\n")
    return {"files": len(by_day), "events": len(events)}


def _messages(
    rng: Randomness, dates: DateFormatter, as_of_day: int, people: Guarantors, email_bounced: np.ndarray
) -> list[tuple]:
    """(guarantor, address, sent at (Unix time), fate, opened, clicked, touch number) of each
    message the clinic sent."""
    may_email = (
        people.has_email
        & (people.email_consent_day >= 0)
        & (people.email_consent_day < as_of_day - 21)
        & (people.email_opt_out_day < 0)
        & (people.deceased_day < 0)
        & (people.bankruptcy_day < 0)
    )
    emailed = np.flatnonzero(may_email & rng.chance(0.05, people.count))
    emailed = np.union1d(emailed, np.flatnonzero(email_bounced & may_email))
    n = len(emailed)
    day = as_of_day - rng.integers(0, 20, n)
    second = seconds_of_day(rng, n, 9, 19)
    fate = rng.choice(len(FATE_WEIGHTS), FATE_WEIGHTS, n)
    fate = np.where(email_bounced[emailed], FATE_BOUNCED, fate)
    opened = rng.chance(0.45, n)
    clicked = opened & rng.chance(0.3, n)
    touch = rng.numpy.integers(0, 2**48, n)
    address = email_addresses(people, emailed).to_pylist()
    sent_at = day * SECONDS_PER_DAY + second - dates.utc_offset_seconds(day)
    return list(
        zip(
            emailed.tolist(),
            address,
            sent_at.tolist(),
            fate.tolist(),
            opened.tolist(),
            clicked.tolist(),
            touch.tolist(),
            strict=True,
        )
    )


def _message_events(
    guarantor: int, address: str, sent_at: int, fate: int, opened: bool, clicked: bool, touch: int
) -> list[tuple[int, dict]]:
    """(Unix time, event) of one message, with the custom_args the pipeline puts on its mail."""
    gid = guarantor_id(guarantor)
    tid = f"tch_{touch:012x}"
    common = {
        "email": address,
        "sg_message_id": f"{touch % 10**10:010d}.filterdrecv-{touch % 997}.0",
        "smtp-id": f"<{tid}@mail.lakesidefhc.example>",
        "category": ["patient-balance"],
        "touch_id": tid,
        "guarantor_id": gid,
        "custom_args": {"touch_id": tid, "guarantor_id": gid},
    }
    steps = [("processed", 0, {})]
    if fate == FATE_BOUNCED:
        steps.append(
            (
                "bounce",
                40,
                {
                    "type": "bounce",
                    "status": "5.1.1",
                    "reason": "550 5.1.1 The email account that you tried to reach does not exist",
                },
            )
        )
    elif fate == FATE_DROPPED:
        steps.append(("dropped", 2, {"reason": "Bounced Address", "status": "5.0.0"}))
    else:
        if fate == FATE_DEFERRED:
            steps.append(("deferred", 30, {"response": "421 try again later", "attempt": "1"}))
        steps.append(("delivered", 60 if fate != FATE_DEFERRED else 900, {"response": "250 OK"}))
        if opened or fate in OPTED_OUT_AFTER_OPENING:
            steps.append(("open", 3600 + touch % 7200, {"useragent": "Mozilla/5.0", "sg_machine_open": False}))
        if clicked:
            steps.append(("click", 3700 + touch % 7200, {"url": f"https://pay.lakesidefhc.example/p/{touch:012x}"}))
        if fate in OPTED_OUT_AFTER_OPENING:
            name, extra = OPTED_OUT_AFTER_OPENING[fate]
            steps.append((name, 7300 + touch % 600, extra))
    return [
        (sent_at + delay, {"event": name, "timestamp": sent_at + delay, "sg_event_id": f"{tid}-{j}", **common, **extra})
        for j, (name, delay, extra) in enumerate(steps)
    ]
