"""企业微信群机器人: POST {"msgtype": "markdown", "markdown": {"content": …}} to the webhook URL;
success is HTTP 200 with errcode 0 (45009 is its rate-limit answer, retried later)."""

from __future__ import annotations

from gongjian.notify.channels import markdown
from gongjian.notify.channels.http import post_json, robot_answer


def payload(delivery) -> dict:
    return {"msgtype": "markdown", "markdown": {"content": markdown(delivery.title, delivery.lines)}}


def send(delivery) -> None:
    _, text = post_json(delivery.channel.url, payload(delivery))
    robot_answer(text)
