"""钉钉自定义机器人 with 加签: the URL gets ``&timestamp=<ms>&sign=<urlencode(base64(HMAC-SHA256(secret,
f"{timestamp}\\n{secret}")))>``; the body is {"msgtype": "markdown", "markdown": {"title", "text"}};
success is errcode 0."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse

from gongjian.notify.channels import markdown
from gongjian.notify.channels.http import post_json, robot_answer


def sign(secret: str, timestamp_ms: int) -> str:
    """The ``sign`` parameter, already URL-encoded."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    if not secret:
        return url
    ts = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={ts}&sign={sign(secret, ts)}"


def payload(delivery) -> dict:
    return {"msgtype": "markdown",
            "markdown": {"title": delivery.title, "text": markdown(delivery.title, delivery.lines)}}


def send(delivery) -> None:
    channel = delivery.channel
    _, text = post_json(signed_url(channel.url, channel.secret), payload(delivery))
    robot_answer(text)
