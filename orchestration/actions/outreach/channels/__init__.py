"""The outreach channels, one module each with the same small interface (``base.py``), found
through :data:`REGISTRY` (channel name -> module) by ``dispatch.py``.

* ``sms``   the day-3 texts and the plan reminders: the gateway CSV (``sms/``);
* ``email`` the day-18 e-mail and the move e-mails: SendGrid (live or outbox, ``email/``);
* ``mail``  statements, final notices and move letters: PDFs and manifests (``statements/``);
* ``phone`` the day-25 call list for staff (``calls/``);
* ``card``  card-on-file plan charges: the processor CSV (``charges/``).

To add a channel: a module with ``NAME``, ``FOLDER``, ``CONTACT_WINDOW`` and ``hand_off``, listed
here; the warehouse must plan touches on it (dbt ``marts.fct_touches``).
"""

from __future__ import annotations

from types import ModuleType

from . import card, email, mail, phone, sms

REGISTRY: dict[str, ModuleType] = {m.NAME: m for m in (sms, email, mail, phone, card)}
