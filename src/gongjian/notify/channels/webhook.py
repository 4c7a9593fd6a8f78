"""Generic webhook: POST {"id", "topic", "title", "lines", "links", "sent_at"} with the headers
X-Gongjian-Delivery (the delivery id: a receiver drops a repeat) and, when the channel has a secret,
X-Gongjian-Signature (hex HMAC-SHA256 of the exact body). Any 2xx is success."""

from __future__ import annotations

import hashlib
import hmac
import json

from django.utils import timezone

from gongjian.notify.channels import absolute
from gongjian.notify.channels.http import post_json


def body(delivery, sent_at=None) -> bytes:
    moment = sent_at or timezone.now()
    data = {"id": delivery.pk, "topic": delivery.topic, "title": delivery.title,
            "lines": [line["text"] for line in delivery.lines],
            "links": [absolute(line.get("link", "")) for line in delivery.lines],
            "sent_at": moment.isoformat()}
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def signature(secret: str, raw: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), raw, hashlib.sha256).hexdigest()


def send(delivery) -> None:
    channel = delivery.channel
    raw = body(delivery)
    headers = {"X-Gongjian-Delivery": str(delivery.pk)}
    if channel.secret:
        headers["X-Gongjian-Signature"] = signature(channel.secret, raw)
    post_json(channel.url, {}, headers, body=raw)
