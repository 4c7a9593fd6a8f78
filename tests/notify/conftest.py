"""Fixtures: a local HTTP endpoint standing in for the robots and webhooks, and notify helpers."""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gongjian.notify import services
from gongjian.notify.models import Channel, Subscription


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Endpoint:
    """A real HTTP server on 127.0.0.1 (in a thread). ``answer`` is (status, body) or a callable
    taking the request number (1-based) and returning one."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    answer: object = (200, '{"errcode":0,"errmsg":"ok"}')
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def endpoint():
    state = Endpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            parts = urllib.parse.urlsplit(self.path)
            with state.lock:
                state.requests.append(Received(
                    path=parts.path, query=dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True)),
                    headers={k.lower(): v for k, v in self.headers.items()}, body=raw))
                n = len(state.requests)
            answer = state.answer(n) if callable(state.answer) else state.answer
            status, text = answer
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(5)


def make_channel(unit, url: str, kind: str = "wecom", **kw) -> Channel:
    return services.channel_save(actor=None, channel=Channel(
        name=kw.pop("name", f"{unit.name}{kind}"), kind=kind, url=url, unit=unit, **kw))


def subscribe(*, user=None, unit=None, channel=None, topic: str = "") -> Subscription:
    return services.subscription_save(actor=None, subscription=Subscription(
        user=user, unit=unit, channel=channel, topic=topic))
