from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema


class LineOut(Schema):
    text: str
    link: str = ""


class MessageOut(Schema):
    id: int
    topic: str
    title: str
    lines: list[LineOut]
    created_at: datetime
    read_at: datetime | None
    unread: bool

    @staticmethod
    def resolve_unread(obj) -> bool:
        return obj.read_at is None


class InboxOut(Schema):
    unread: int
    messages: list[MessageOut]


class MarkReadIn(Schema):
    ids: list[int] = Field(default_factory=list, description="要标为已读的消息编号")
    all: bool = Field(False, description="true 时全部标为已读")


class MarkReadOut(Schema):
    marked: int
    unread: int


class AttemptOut(Schema):
    number: int
    started_at: datetime
    finished_at: datetime
    ok: bool
    error: str


class DeliveryOut(Schema):
    id: int
    kind: str
    channel: str | None
    recipient: str
    topic: str
    title: str
    status: str
    status_label: str
    attempts: int
    last_error: str
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None

    @staticmethod
    def resolve_channel(obj) -> str | None:
        return obj.channel.name if obj.channel_id else None

    @staticmethod
    def resolve_recipient(obj) -> str:
        return obj.recipient_label

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()


class DeliveryDetailOut(DeliveryOut):
    lines: list[LineOut]
    attempt_log: list[AttemptOut]

    @staticmethod
    def resolve_attempt_log(obj) -> list:
        return list(obj.attempt_log.all())
