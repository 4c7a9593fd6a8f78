"""POSTing JSON with a short timeout (standard library only)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from gongjian.notify.channels import SendError

TIMEOUT_SECONDS = 10


def post_json(url: str, payload: dict, headers: dict | None = None, *, body: bytes | None = None,
              timeout: float = TIMEOUT_SECONDS) -> tuple[int, str]:
    """(status, response text) for a 2xx answer; SendError for anything else (status, network)."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise SendError("地址应以 http:// 或 https:// 开头 / URL must be http(s)", permanent=True)
    data = body if body is not None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "gongjian-notify", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(65536).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        text = exc.read(500).decode("utf-8", "replace") if exc.fp else ""
        raise SendError(f"HTTP {exc.code} {text}".strip()) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SendError(f"连接失败 / connection failed: {reason}") from None


def robot_answer(text: str) -> None:
    """WeCom and DingTalk answer 200 with {"errcode": 0} on success; anything else is an error."""
    try:
        answer = json.loads(text)
    except ValueError:
        raise SendError(f"机器人应答不是 JSON / not JSON: {text[:200]}") from None
    code = answer.get("errcode") if isinstance(answer, dict) else None
    if code == 0:
        return
    if code == 45009:
        raise SendError(f"机器人限流(errcode 45009)，稍后重试 / rate limited: {answer.get('errmsg', '')}")
    raise SendError(f"机器人返回错误 errcode {code}: {answer.get('errmsg', '') if isinstance(answer, dict) else text[:200]}")
