"""Day-18 e-mail with context (what insurance paid, what remains, next steps) through SendGrid.

Templates
---------
Approved templates are files in ``templates/`` (``email_context.subject.txt``, ``.txt``,
``.html``), filled with ``string.Template``. Shared values (clinic name, help line, hours, mail
address, unsubscribe line) are filled once; in the HTML every value is HTML-escaped. The
subject carries the clinic name only: never a name or an amount. The greeting is "Hello,": the
guarantor's name is not needed in the message, so it is not there (and the ``to`` address is
sent without a display name).

Per-recipient bodies: SendGrid substitutions
--------------------------------------------
Every recipient's body differs (amounts, dates, link), and v3 ``content`` is per request, not
per personalization. Options: one request per recipient (10,000 requests), dynamic templates
(template stored in SendGrid, outside review in this repo), or legacy **substitutions**. We
use substitutions: one shared ``content`` per request whose per-recipient fields are tags
``-pc_<field>-`` (``-pc_amount_due-``, ``-pc_pay_url-``, …) and one personalization per
recipient carrying its ``substitutions`` plus ``custom_args`` {touch_id, guarantor_id}. The same
substitution value goes into both the text and the HTML part, so values are restricted to a
charset that needs no HTML escaping (``[A-Za-z0-9 $.,:/_-]``: formatted money, dates and the
pay URL; anything else raises). ``render_email`` renders one recipient fully (previews,
tests); a test checks that applying a personalization's substitutions to the shared content
gives exactly ``render_email``'s output.

Request bodies
--------------
``build_requests`` -> ``EmailRequest``s (the ``mail/send`` JSON body from
``sendgrid.helpers.mail.Mail(...).get()`` + the touch ids in order): ≤ 1,000 personalizations
each (one recipient each, so ≤ 1,000 recipients), and an address appears at most once per
request (SendGrid rejects the *whole* request with 400 otherwise; a household sharing an
address goes to the next request). ``custom_args`` are only ``touch_id`` and ``guarantor_id``
(opaque, stored by SendGrid long-term as non-sensitive); ``categories`` are fixed labels
(``collections``, the step); optional ``asm`` group (``asm_group_id``) for SendGrid-managed
unsubscribe — then the unsubscribe line is SendGrid's ``<%asm_group_unsubscribe_raw_url%>``
link; without a group it tells the reader to call the help line to stop e-mails (configure a
group for live sending). Click tracking is off by default so the pay link shows the clinic's
own pay site, not a tracking redirect.

Sending: ``EmailSender``
------------------------
* No ``SENDGRID_API_KEY`` (unset or blank): **outbox mode**. Each request body is written as
  JSON — byte-for-byte what the live client would POST — to
  ``<outbox>/<as_of>/email/request_<nnnn>.json`` (atomic, 0600, numbered after any existing
  file so a re-run never overwrites). Every touch of the request is reported ``sent`` with
  ``message_id = 'outbox:<as_of>/email/request_<nnnn>.json'`` and reason ``outbox``: the file is
  the hand-off (docs/outputs.md); nothing leaves the machine.
* A key that is not ``SG.<id>.<secret>`` is a ``ValueError`` at construction, before any
  request (the message never contains the key). The key lives only inside the SendGrid
  client; ``python_http_client``'s DEBUG records (which include the Authorization header and
  the full payload) are dropped by a logging filter on that logger.
* **Live mode**: the real ``SendGridAPIClient(api_key, host=...)`` posts each request:

  - 2xx: every touch ``sent``, ``message_id`` = the ``X-Message-Id`` header (one per request;
    SendGrid's event ``sg_message_id`` starts with it), ``sent_at`` = now (UTC).
  - 429 (``TooManyRequestsError``): wait until ``X-RateLimit-Reset`` (epoch seconds; or
    ``Retry-After``; else exponential backoff) and retry the same body.
  - 5xx: retry with exponential backoff (``backoff_base * 2**(n-1)``, capped).
  - ``URLError`` (connection refused, DNS, or any error while the request was still being
    *written*): urllib raises it only from ``HTTPConnection.request``, i.e. before the full body
    reached the server, so the server cannot have accepted it: retried like a 5xx.
  - Retries are bounded by ``max_attempts`` per request and ``max_total_wait`` seconds of
    sleeping per ``send()`` call; when exhausted, the touches are ``failed`` with
    ``retryable=True`` (ledger: ``deferred``, may go out on a later run): provably not accepted.
  - 401/403: ``failed`` retryable for this request and every later request of the call is not
    attempted (``failed`` retryable, "not attempted"): a bad key must not burn the day's touches.
  - Other 4xx: every touch of the request ``failed`` (final) with ``HTTP <code>: <short text>``
    (SendGrid's error messages with e-mail addresses and digit runs masked; no body echo).
  - The connection drops *after* the request was sent (``RemoteDisconnected``, reset, read
    timeout, truncated response): SendGrid may have accepted it. We cannot check offline, so
    the touches are ``failed`` (final) with reason ``unknown delivery state`` and are **never
    resent automatically**; staff see them in the results/ledger, and SendGrid events (custom
    arg touch_id) can later prove delivery (``ledger.resolve_interrupted``).

  ``sleep`` and ``clock`` are injectable (tests record the waits). ``before_send(touch_ids)`` is
  called right before the first attempt of a run of consecutive requests carrying together at
  most ``MARK_TOUCHES`` (1,000) touches — one full cadence request, or up to 1,000 single-touch
  move e-mails, so a day of many small requests costs a few ledger updates, not one each — and
  is **required in live mode**: wire it to ``ledger.mark_sending`` so a crash leaves a "maybe
  sent" set (``sending``, never resent; at most one run of requests more than reached
  SendGrid) and every still-``planned`` e-mail provably never reached SendGrid (pass a no-op
  only knowingly).

A missing payment due date prints "upon receipt". Touches without an address, with an invalid
one, or whose values cannot be composed come back as ``skipped`` with the reason.
"""

from __future__ import annotations

import html
import http.client
import json
import logging
import os
import re
import string
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from urllib.error import URLError

from ..files import csv_bytes, write_new_numbered, write_to
from .model import SendResult, Touch, long_date, money
from .visits import why_you_owe_text

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).with_name("templates")
MAX_PERSONALIZATIONS = 1000
MARK_TOUCHES = 1000  # touches marked `sending` at once before their requests go (live mode)
DEFAULT_HOST = "https://api.sendgrid.com"
ENV_API_KEY = "SENDGRID_API_KEY"
ENV_HOST = "SENDGRID_API_HOST"  # reliability tests: http://127.0.0.1:<port> (loopback only)


def _local_host(url: str) -> str:
    from urllib.parse import urlsplit

    u = urlsplit(url.strip())
    if u.scheme != "http" or u.hostname not in ("127.0.0.1", "localhost") or u.path not in ("", "/"):
        raise ValueError(f"{ENV_HOST} must be http://127.0.0.1:<port> (a local test server); unset it to use SendGrid")
    return url.strip().rstrip("/")


STEP = "email_context"
PER_RECIPIENT = (
    "visit_date",
    "charge",
    "insurance_paid",
    "patient_portion",
    "why_you_owe",
    "amount_due",
    "due_date",
    "pay_url",
)
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9 $.,:/_-]*$")
EMAIL_ADDRESS = re.compile(r"^[^@\s<>,;:\"'()\[\]\\]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_API_KEY = re.compile(r"^SG\.[A-Za-z0-9_-]{10,64}\.[A-Za-z0-9_-]{20,128}$")
ASM_UNSUBSCRIBE_TAG = "<%asm_group_unsubscribe_raw_url%>"


class _DropDebug(logging.Filter):
    """python_http_client logs the Authorization header and the whole payload at DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


def _silence_http_client_debug() -> None:
    lg = logging.getLogger("python_http_client.client")
    if not any(isinstance(f, _DropDebug) for f in lg.filters):
        lg.addFilter(_DropDebug())


_silence_http_client_debug()


def tag(field: str) -> str:
    return f"-pc_{field}-"


@cache
def _template(name: str) -> string.Template:
    return string.Template((TEMPLATES / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def shared_values(clinic: Mapping, asm_group_id: int | None) -> dict[str, str]:
    """The values every e-mail of the clinic shares: clinic name, help line and hours, mailing
    address, the day-18 subject and the unsubscribe line (text and HTML)."""
    name = str(clinic["name"]).strip()
    help_line = str(clinic.get("help_line") or "").strip()
    shared = {
        "clinic_name": name,
        "help_line": help_line,
        "help_hours": str(clinic.get("help_hours") or "").strip(),
        "mail_address": str(clinic.get("mail_address") or "").strip(),
    }
    shared["subject"] = _template("email_context.subject.txt").substitute(shared).strip()
    if asm_group_id is not None:
        shared["unsubscribe_text"] = f"To stop these e-mails, unsubscribe here: {ASM_UNSUBSCRIBE_TAG}"
        shared["unsubscribe_html"] = f'<a href="{ASM_UNSUBSCRIBE_TAG}">Unsubscribe</a> to stop these e-mails.'
    else:
        line = f"To stop these e-mails, call us at {help_line} and we will unsubscribe you."
        shared["unsubscribe_text"] = line
        shared["unsubscribe_html"] = html.escape(line)
    return shared


def recipient_values(touch: Touch | Mapping, url: str) -> dict[str, str]:
    t = Touch.coerce(touch)
    if t.balance is None or t.balance <= 0:
        raise ValueError(f"touch {t.touch_id}: no positive balance")

    def m(v):
        return money(v) if v is not None else "not available"

    def d(v):
        return long_date(v) if v is not None else "not available"

    values = {
        "visit_date": d(t.visit_date),
        "charge": m(t.charge),
        "insurance_paid": m(t.insurance_paid),
        "patient_portion": m(t.patient_portion),
        "why_you_owe": why_you_owe_text(t),
        "amount_due": money(t.balance),
        "due_date": long_date(t.due_date) if t.due_date else "upon receipt",
        "pay_url": url,
    }
    for k, v in values.items():
        if not _SAFE_VALUE.match(v):
            raise ValueError(f"touch {t.touch_id}: {k} has characters unsafe for substitution")
    return values


def _fill(shared: dict[str, str], per: dict[str, str]) -> RenderedEmail:
    text = _template("email_context.txt").substitute({**shared, **per})
    esc = {k: html.escape(v, quote=True) for k, v in {**shared, **per}.items() if k != "unsubscribe_html"}
    esc["unsubscribe_html"] = shared["unsubscribe_html"]
    body = _template("email_context.html").substitute(esc)
    return RenderedEmail(shared["subject"], text, body)


def render_email(
    touch: Touch | Mapping, clinic: Mapping, url: str, *, asm_group_id: int | None = None
) -> RenderedEmail:
    """One recipient's e-mail, fully rendered (what the recipient reads)."""
    return _fill(shared_values(clinic, asm_group_id), recipient_values(touch, url))


def shared_content(clinic: Mapping, *, asm_group_id: int | None = None) -> RenderedEmail:
    """The request-level content: per-recipient fields are ``-pc_<field>-`` substitution tags."""
    return _fill(shared_values(clinic, asm_group_id), {k: tag(k) for k in PER_RECIPIENT})


def apply_substitutions(text: str, substitutions: Mapping[str, str]) -> str:
    """What SendGrid does with a personalization's substitutions (for previews and tests)."""
    for k, v in substitutions.items():
        text = text.replace(k, v)
    return text


@dataclass(frozen=True)
class EmailRequest:
    body: dict
    touch_ids: tuple[str, ...]


def build_requests(
    touches: Iterable[Touch | Mapping],
    clinic: Mapping,
    url_for: Callable[[Touch], str],
    *,
    from_email: str,
    from_name: str | None = None,
    reply_to: str | None = None,
    asm_group_id: int | None = None,
    categories: Sequence[str] = ("collections", STEP),
    batch_size: int = MAX_PERSONALIZATIONS,
    click_tracking: bool = False,
    send_at_for: Callable[[Touch], int | None] | None = None,
) -> tuple[list[EmailRequest], list[SendResult]]:
    """SendGrid v3 ``mail/send`` bodies for the touches, and the touches skipped (no/invalid
    address). Touch order is kept within and across requests."""
    from sendgrid.helpers.mail import (
        Asm,
        Category,
        ClickTracking,
        CustomArg,
        From,
        Mail,
        Personalization,
        ReplyTo,
        Substitution,
        To,
        TrackingSettings,
    )

    if not 1 <= batch_size <= MAX_PERSONALIZATIONS:
        raise ValueError(f"batch_size must be 1..{MAX_PERSONALIZATIONS}")
    if not EMAIL_ADDRESS.match(from_email or ""):
        raise ValueError("from_email is not a valid address")
    content = shared_content(clinic, asm_group_id=asm_group_id)

    batches: list[list[tuple[Touch, str, dict[str, str]]]] = []
    seen: list[set[str]] = []
    first_open = 0
    skipped: list[SendResult] = []
    ids: set[str] = set()
    for raw in touches:
        t = Touch.coerce(raw)
        if t.touch_id in ids:
            raise ValueError(f"duplicate touch_id {t.touch_id}")
        ids.add(t.touch_id)
        addr = (t.email or "").strip()
        if not addr:
            skipped.append(SendResult(t.touch_id, "skipped", "no email address"))
            continue
        if not EMAIL_ADDRESS.match(addr):
            skipped.append(SendResult(t.touch_id, "skipped", "invalid email address"))
            continue
        try:
            values = recipient_values(t, url_for(t))
        except ValueError as exc:  # names the touch_id only
            skipped.append(SendResult(t.touch_id, "skipped", f"cannot compose: {exc}"))
            continue
        key = addr.lower()
        i = first_open
        while i < len(batches) and (len(batches[i]) >= batch_size or key in seen[i]):
            i += 1
        if i == len(batches):
            batches.append([])
            seen.append(set())
        batches[i].append((t, addr, values))
        seen[i].add(key)
        while first_open < len(batches) and len(batches[first_open]) >= batch_size:
            first_open += 1

    requests: list[EmailRequest] = []
    for batch in batches:
        mail = Mail(
            from_email=From(from_email, from_name or str(clinic["name"]).strip()),
            subject=content.subject,
            plain_text_content=content.text,
            html_content=content.html,
        )
        for t, addr, values in batch:
            p = Personalization()
            p.add_to(To(addr))
            for k in PER_RECIPIENT:
                p.add_substitution(Substitution(tag(k), values[k]))
            p.add_custom_arg(CustomArg("touch_id", str(t.touch_id)))
            p.add_custom_arg(CustomArg("guarantor_id", str(t.guarantor_id)))
            send_at = send_at_for(t) if send_at_for else None
            if send_at:  # unix time: SendGrid holds it until the local window opens
                p.send_at = int(send_at)
            mail.add_personalization(p, index=len(mail.personalizations))
        for c in categories:
            mail.add_category(Category(c))
        if asm_group_id is not None:
            mail.asm = Asm(int(asm_group_id))
        if reply_to:
            mail.reply_to = ReplyTo(reply_to)
        if not click_tracking:
            mail.tracking_settings = TrackingSettings(click_tracking=ClickTracking(False, False))
        requests.append(EmailRequest(mail.get(), tuple(t.touch_id for t, _, _ in batch)))
    return requests, skipped


def validate_api_key(key: str) -> str:
    k = (key or "").strip()
    if not _API_KEY.match(k):
        raise ValueError(
            f"{ENV_API_KEY} is malformed: expected 'SG.<key id>.<secret>' (value not shown); unset it for outbox mode"
        )
    return k


_MASK_EMAIL = re.compile(r"\S+@\S+")
_MASK_DIGITS = re.compile(r"\d{3,}")


def _short_error(code: int, body: bytes | str | None) -> str:
    msgs: list[str] = []
    try:
        data = json.loads(body) if body else {}
        for err in (data.get("errors") or [])[:3]:
            m = str(err.get("message") or "").strip()
            field = err.get("field")
            m = _MASK_DIGITS.sub("#", _MASK_EMAIL.sub("<address>", m))
            msgs.append(f"{field}: {m}" if field else m)
    except (ValueError, AttributeError, TypeError):
        pass
    text = f"HTTP {code}" + (": " + "; ".join(msgs) if msgs else "")
    return text[:240]


class EmailSender:
    """Sends ``EmailRequest``s live (SendGrid) or writes them to the outbox; see module doc."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        outbox_dir: str | Path | None = None,
        as_of: date | None = None,
        host: str = DEFAULT_HOST,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        max_attempts: int = 5,
        max_total_wait: float = 300.0,
        backoff_base: float = 2.0,
        backoff_cap: float = 60.0,
        timeout: float = 30.0,
        before_send: Callable[[list[str]], None] | None = None,
    ):
        self._sleep, self._clock = sleep, clock
        self.max_attempts, self.max_total_wait = max(1, int(max_attempts)), float(max_total_wait)
        self.backoff_base, self.backoff_cap = float(backoff_base), float(backoff_cap)
        self.before_send = before_send
        self.outbox_dir = Path(outbox_dir) if outbox_dir is not None else None
        self.as_of = as_of
        if api_key is not None and not str(api_key).strip():
            api_key = None
        if api_key is None:
            if self.outbox_dir is None or as_of is None:
                raise ValueError("outbox mode (no SendGrid key) needs outbox_dir and as_of")
            self._client = None
        else:
            if before_send is None:
                raise ValueError(
                    "live mode needs before_send (wire it to ledger.mark_sending so a "
                    "crash leaves an exact maybe-sent set); pass a no-op to opt out"
                )
            from sendgrid import SendGridAPIClient

            self._client = SendGridAPIClient(api_key=validate_api_key(api_key), host=host)
            self._client.client.timeout = timeout

    @classmethod
    def from_env(cls, *, outbox_dir: str | Path, as_of: date, environ: Mapping | None = None, **kwargs) -> EmailSender:
        env = os.environ if environ is None else environ
        if env.get(ENV_HOST) and "host" not in kwargs:  # tests: a local SendGrid on 127.0.0.1 only
            kwargs["host"] = _local_host(env[ENV_HOST])
        return cls(env.get(ENV_API_KEY), outbox_dir=outbox_dir, as_of=as_of, **kwargs)

    @property
    def mode(self) -> str:
        return "outbox" if self._client is None else "live"

    def __repr__(self) -> str:
        return f"EmailSender(mode={self.mode!r})"

    # ------------------------------------------------------------------ sending
    def send(self, requests: Sequence[EmailRequest]) -> list[SendResult]:
        if self._client is None:
            return self._to_outbox(requests)
        results: list[SendResult] = []
        budget = [self.max_total_wait]
        abort: str | None = None
        marked = 0  # requests[:marked] are marked `sending`
        for n, req in enumerate(requests, 1):
            if not abort and n > marked and self.before_send is not None:
                end, count = n - 1, 0
                while end < len(requests) and (end == n - 1 or count + len(requests[end].touch_ids) <= MARK_TOUCHES):
                    count += len(requests[end].touch_ids)
                    end += 1
                self.before_send([t for r in requests[n - 1 : end] for t in r.touch_ids])
                marked = end
            if abort:
                results += [SendResult(t, "failed", f"not attempted: {abort}", retryable=True) for t in req.touch_ids]
                continue
            res, abort = self._send_one(req, budget)
            log.info(
                "email request %d/%d: %d touches -> %s",
                n,
                len(requests),
                len(req.touch_ids),
                res[0].status + (f" ({res[0].reason})" if res[0].reason else "") if res else "-",
            )
            results += res
        return results

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))

    def _rate_limit_wait(self, headers, attempt: int) -> float:
        try:
            reset = headers.get("X-RateLimit-Reset") if headers is not None else None
            if reset is not None:
                return max(0.0, float(reset) - self._clock())
            after = headers.get("Retry-After") if headers is not None else None
            if after is not None:
                return max(0.0, float(after))
        except (TypeError, ValueError):
            pass
        return self._backoff(attempt)

    def _send_one(self, req: EmailRequest, budget: list[float]) -> tuple[list[SendResult], str | None]:
        from python_http_client.exceptions import HTTPError, TooManyRequestsError

        ids = list(req.touch_ids)

        def all_(
            status: str, reason: str | None, *, mid: str | None = None, at=None, retryable: bool = False
        ) -> list[SendResult]:
            return [SendResult(t, status, reason, mid, at, retryable) for t in ids]

        attempt = 0
        while True:
            attempt += 1
            try:
                resp = self._client.send(req.body)
            except TooManyRequestsError as exc:
                wait, why = self._rate_limit_wait(exc.headers, attempt), "HTTP 429 rate limited"
            except HTTPError as exc:
                code = int(exc.status_code)
                if code >= 500:
                    wait, why = self._backoff(attempt), f"HTTP {code}"
                elif code in (401, 403):
                    reason = f"HTTP {code}: SendGrid refused the API key"
                    return all_("failed", reason, retryable=True), reason
                else:
                    return all_("failed", _short_error(code, exc.body)), None
            except URLError:
                # raised by urllib only while connecting/writing the request: never accepted
                wait, why = self._backoff(attempt), "connection failed before the request was sent"
            except (http.client.HTTPException, OSError):
                # dropped after the request was written: SendGrid may have accepted it
                return all_("failed", "unknown delivery state"), None
            else:
                if 200 <= resp.status_code < 300:
                    mid = resp.headers.get("X-Message-Id") if resp.headers is not None else None
                    return all_("sent", None, mid=mid, at=self._now()), None
                return all_("failed", f"HTTP {resp.status_code}: unexpected response"), None
            if attempt >= self.max_attempts or wait > budget[0]:
                return all_("failed", f"not sent: {why}; gave up after {attempt} attempt(s)", retryable=True), None
            log.warning("email request: %s; retry %d in %.1fs", why, attempt, wait)
            budget[0] -= wait
            self._sleep(wait)

    def _to_outbox(self, requests: Sequence[EmailRequest]) -> list[SendResult]:
        day = self.as_of.isoformat()
        folder = self.outbox_dir / day / "email"
        results: list[SendResult] = []
        start = None
        for req in requests:
            path = write_new_numbered(folder, "request_", ".json", json.dumps(req.body), start=start)
            start = _number(path) + 1  # the next free number: no folder listing per file
            mid = f"outbox:{day}/email/{path.name}"
            at = self._now()
            results += [SendResult(t, "sent", "outbox", mid, at) for t in req.touch_ids]
        log.info("email outbox: %d request file(s), %d touches", len(requests), len(results))
        return results


def _number(path: Path) -> int:
    return int(path.stem.rsplit("_", 1)[1])


SEND_LOG_COLUMNS = ("touch_id", "status", "sent_at", "message_id", "reason")


def write_send_log(results: Iterable[SendResult], path: str | Path, *, overwrite: bool = False) -> Path:
    """Live-mode send log CSV (docs/outputs.md ``email/``): touch_id, status, sent_at, message id,
    reason. ``path`` may be the folder ``<outbox>/<date>/email/`` (next free
    ``send_log_<nnnn>.csv``); ``ledger.find_handed_off`` reads its ``sent`` rows as proof."""
    rows = [r.as_row() for r in results]
    return write_to(path, csv_bytes(SEND_LOG_COLUMNS, rows), prefix="send_log_", suffix=".csv", overwrite=overwrite)
