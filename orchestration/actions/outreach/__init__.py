"""Outreach I/O layer (pure Python, no Dagster): what leaves the building for a due touch.

Modules (each documents its decisions):

* ``model``      the ``Touch`` input, ``SendResult`` output, money/date formatting;
* ``tokens``     opaque HMAC pay-link tokens and the pay-link secret;
* ``sms``        day-3 text body (GSM-7, <= 2 segments), contact window, E.164, gateway CSV;
* ``email``      day-18 e-mail templates, SendGrid v3 request bodies, ``EmailSender``
                 (live with retries / outbox mode);
* ``statements`` one-page PDF statements + manifest, process pool;
* ``calls``      day-25 call list CSV;
* ``webhook``    SendGrid signed Event Webhook verification;
* ``ledger``     the send-ledger protocol on ``ops.send_ledger`` (plan / mark / recover);
* ``bench``      ``python -m orchestration.actions.outreach.bench`` (PDF and e-mail throughput).

Nothing here imports Dagster; reportlab, qrcode and the SendGrid client are imported inside
the functions that use them.
"""
