"""Outreach I/O layer (pure Python, no Dagster): what leaves the building for a due touch.

Modules (each documents its decisions):

* ``dispatch``   one channel for one as-of date through the send-ledger protocol;
* ``channels/``  one module per channel (sms, email, mail, phone, card) with one interface
                 (``channels/base.py``), found through ``channels.REGISTRY``;
* ``ledger``     the send-ledger protocol on ``ops.send_ledger`` (plan / mark / recover);
* ``model``      the ``Touch`` input, ``SendResult`` output, money/date formatting;
* ``tokens``     opaque HMAC pay-link tokens and the pay-link secret;
* ``sms``        day-3 text body (GSM-7, <= 2 segments), contact window, E.164, gateway CSV;
* ``email``      day-18 e-mail templates, SendGrid v3 request bodies, ``EmailSender``
                 (live with retries / outbox mode); ``move_email`` the move e-mails;
* ``render``     the mailed page's parts (page, letterhead, QR code, ways to pay, help box, text);
* ``statements`` one-page PDF statements, process pool; ``final_notice`` the 501(r) notice;
  ``letters`` the move letters; ``manifests`` the print vendor's manifests;
* ``calls``      day-25 call list CSV; ``charges`` the card-on-file charge CSV;
* ``moves``      the segment moves' wording; ``approvals`` the scripts' approval dates;
* ``webhook``    SendGrid signed Event Webhook verification.

Atomic private file writes and the hand-off CSV format: ``orchestration/actions/files.py``.
Throughput: ``python -m benchmarks.outreach``.

Nothing here imports Dagster; reportlab, qrcode and the SendGrid client are imported inside
the functions that use them.
"""
