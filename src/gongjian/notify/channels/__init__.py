"""Channels as small plugins: each module has ``send(delivery)`` that returns on success and raises
``SendError`` otherwise. The inbox needs no plugin: it is the ``Message`` rows themselves.

``SendError(permanent=True)`` fails the delivery at once (nothing a retry could fix, e.g. a person
without an email address); any other failure is retried with backoff (see services.deliver_due).
"""

from __future__ import annotations

from django.conf import settings


class SendError(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent


def absolute(link: str) -> str:
    """A site path as an address people can open from a robot message (GONGJIAN_SITE_URL + path)."""
    if not link or "://" in link:
        return link
    base = getattr(settings, "GONGJIAN_SITE_URL", "").rstrip("/")
    return f"{base}{link}" if base else link


def markdown(title: str, lines: list[dict], *, limit_bytes: int = 4000) -> str:
    """The message as robot markdown: the title in bold, one line per item with its link; lines beyond
    the robot's size limit are summarised as 另有 N 条."""
    head = f"**{title}**\n"
    body: list[str] = []
    size = len(head.encode())
    for i, line in enumerate(lines):
        link = absolute(line.get("link", ""))
        text = f"- [{line['text']}]({link})" if link else f"- {line['text']}"
        rest = f"\n……另有 {len(lines) - i} 条，请登录平台查看"
        if size + len(text.encode()) + 1 + len(rest.encode()) > limit_bytes:
            body.append(rest.strip())
            break
        body.append(text)
        size += len(text.encode()) + 1
    return head + "\n".join(body)


def plain(title: str, lines: list[dict]) -> str:
    out = [title, ""]
    for line in lines:
        link = absolute(line.get("link", ""))
        out.append(f"· {line['text']}" + (f"  {link}" if link else ""))
    return "\n".join(out)


def sender(kind: str):
    from gongjian.notify.channels import dingtalk, email, webhook, wecom

    plugins = {"email": email, "wecom": wecom, "dingtalk": dingtalk, "webhook": webhook}
    try:
        return plugins[kind].send
    except KeyError:
        raise SendError(f"未知的发送方式“{kind}” / unknown channel kind", permanent=True) from None
