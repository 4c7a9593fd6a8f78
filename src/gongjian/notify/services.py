"""Every write on notifications.

For the background jobs (no actor; they run inside the caller's transaction or their own):

* ``publish``: record one notice item per recipient, idempotent on (key, recipient);
* ``flush``: batch pending items per recipient and topic into one inbox message and one delivery per
  subscribed channel, exactly once (row locks with SKIP LOCKED where the database has them);
* ``deliver_due``: send due deliveries outside any transaction, under a lease, within each channel's
  rate limit, retrying with exponential backoff.

For people (audited): channels, subscriptions, 重新发送 of a failed delivery; and marking one's own
inbox messages read (not audited: it is the reader's own state, not a change to shared records).
"""

from __future__ import annotations

import datetime as dt
import logging
import urllib.parse
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Q
from django.utils import timezone

from gongjian.core import audit
from gongjian.core.errors import Forbidden, Invalid, NotFound
from gongjian.notify.channels import SendError, sender
from gongjian.notify.models import (
    Channel,
    ChannelKind,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Message,
    NoticeItem,
    Subscription,
)
from gongjian.org.models import Role, Unit, User

log = logging.getLogger(__name__)

TOPICS = {"reminder": "到期提醒", "escalation": "督办", "figures": "日报催报",
          "documents": "日报三件套", "ranking": "周排名", "case": "案件动态"}

EMAIL = "email"
RATE_WINDOW = dt.timedelta(seconds=60)
FIRST_BACKOFF = dt.timedelta(seconds=30)
# A claimed delivery is someone's for this long; a sender killed mid-send leaves a row that is due
# again afterwards. Claims are taken in small batches so a batch is sent well within its lease.
LEASE = dt.timedelta(minutes=5)
CLAIM_BATCH = 10


def max_attempts() -> int:
    return int(getattr(settings, "GONGJIAN_NOTIFY_MAX_ATTEMPTS", 6))


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the n-th failed attempt: 30 s, 1, 2, 4, 8 min, … ."""
    return FIRST_BACKOFF * (2 ** max(0, attempts - 1))


def _locked(qs, *, skip_locked: bool = True):
    """``select_for_update`` where the database has it (PostgreSQL); SQLite's IMMEDIATE transactions
    already hold the whole database's write lock, so there it is the plain queryset."""
    connection = connections[router.db_for_write(qs.model)]
    if not connection.features.has_select_for_update:
        return qs
    skip = skip_locked and connection.features.has_select_for_update_skip_locked
    return qs.select_for_update(skip_locked=skip, of=("self",))


def _ids(values: Iterable, model) -> list[int]:
    """Recipient ids from instances or ids; ids are checked to exist (PostgreSQL checks foreign keys only
    at commit, which would fail the caller's whole transaction instead of naming the bad recipient)."""
    out, bare = [], set()
    for v in values or ():
        if isinstance(v, model):
            out.append(v.pk)
        elif isinstance(v, int) and not isinstance(v, bool):
            out.append(v)
            bare.add(v)
        else:
            raise Invalid(f"收件人应为{model._meta.verbose_name}或其编号，而不是 {v!r} / bad recipient")
    if bare:
        missing = bare - set(model.objects.filter(pk__in=bare).values_list("pk", flat=True))
        if missing:
            raise Invalid(f"{model._meta.verbose_name} {sorted(missing)} 不存在 / unknown recipient")
    return list(dict.fromkeys(out))


# ------------------------------------------------------------------------------------------ publish


def publish(*, topic: str, key: str, title: str, line: str, link: str = "", users=(), units=()) -> int:
    """Record one notice item for each recipient user and unit; returns how many were new.

    DB writes only, in the caller's transaction. A (key, user) or (key, unit) already recorded is skipped
    (unique constraints and INSERT … ON CONFLICT DO NOTHING), so a rerun or two racing workers record it
    once."""
    if topic not in TOPICS:
        raise Invalid(f"未知的通知主题“{topic}” / unknown topic", field="topic")
    key, title, line = (key or "").strip(), (title or "").strip(), (line or "").strip()
    if not key:
        raise Invalid("通知缺少去重键 / key is required", field="key")
    if not line:
        raise Invalid("通知内容不能为空 / line is required", field="line")
    user_ids, unit_ids = _ids(users, User), _ids(units, Unit)
    if not user_ids and not unit_ids:
        return 0
    now = timezone.now()
    rows = [(uid, None) for uid in user_ids] + [(None, uid) for uid in unit_ids]
    connection = connections[router.db_for_write(NoticeItem)]
    quote = connection.ops.quote_name
    columns = ["topic", "key", "title", "line", "link", "user_id", "unit_id", "created_at"]
    created = connection.ops.adapt_datetimefield_value(now)
    fixed = [topic, key[:200], (title or TOPICS[topic])[:200], line[:500], (link or "")[:300]]
    inserted = 0
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            chunk = rows[start:start + 500]
            values = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(chunk))
            params = [p for user_id, unit_id in chunk for p in (*fixed, user_id, unit_id, created)]
            cursor.execute(
                f"INSERT INTO {quote(NoticeItem._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
                f"VALUES {values} ON CONFLICT DO NOTHING RETURNING {quote('id')}", params)
            inserted += len(cursor.fetchall())
    return inserted


# -------------------------------------------------------------------------------------------- flush


def _subscribers(user_ids: set[int], unit_ids: set[int]) -> dict[tuple[str, int], list[Subscription]]:
    subs: dict[tuple[str, int], list[Subscription]] = defaultdict(list)
    qs = (Subscription.objects.filter(Q(user_id__in=user_ids) | Q(unit_id__in=unit_ids))
          .select_related("channel").order_by("id"))
    for s in qs:
        subs[("user", s.user_id) if s.user_id else ("unit", s.unit_id)].append(s)
    return subs


def _routes(subs: list[Subscription], topic: str) -> list[tuple[str, Channel | None]]:
    """(kind, channel) for each distinct active destination subscribed to ``topic``."""
    out: dict[tuple[str, int | None], tuple[str, Channel | None]] = {}
    for s in subs:
        if s.topic and s.topic != topic:
            continue
        if s.channel_id is None:
            out.setdefault((EMAIL, None), (EMAIL, None))
        elif s.channel.is_active:
            out.setdefault((s.channel.kind, s.channel_id), (s.channel.kind, s.channel))
    return list(out.values())


def _title(topic: str, items: list[NoticeItem]) -> str:
    if len(items) == 1:
        return items[0].title
    return f"{TOPICS[topic]}：{len(items)} 条"[:200]


def flush(*, now=None, limit=None) -> int:
    """Batch pending items into messages and deliveries; returns messages + deliveries created.

    Per recipient user and topic: ONE inbox message listing all its lines, plus a delivery for each
    channel that person subscribes to for the topic (email without a channel). Per recipient unit and
    topic: one delivery per channel the unit subscribes to. The items are taken with row locks (SKIP
    LOCKED) and marked in the same transaction, so each is batched exactly once."""
    now = now or timezone.now()
    with transaction.atomic():
        qs = _locked(NoticeItem.objects.filter(flushed_at__isnull=True).order_by("id"))
        items = list(qs[:limit] if limit else qs)
        if not items:
            return 0
        groups: dict[tuple[str, int, str], list[NoticeItem]] = defaultdict(list)
        for item in items:
            who = ("user", item.user_id) if item.user_id else ("unit", item.unit_id)
            groups[(*who, item.topic)].append(item)
        subs = _subscribers({i for k, i, _ in groups if k == "user"}, {i for k, i, _ in groups if k == "unit"})

        messages: dict[tuple[str, int, str], Message] = {}
        for (kind, rid, topic), group in groups.items():
            if kind == "user":
                messages[(kind, rid, topic)] = Message(
                    user_id=rid, topic=topic, title=_title(topic, group), created_at=now,
                    lines=[{"text": i.line, "link": i.link} for i in group])
        Message.objects.bulk_create(list(messages.values()))

        deliveries = []
        for (kind, rid, topic), group in groups.items():
            message = messages.get((kind, rid, topic))
            for via, channel in _routes(subs.get((kind, rid), []), topic):
                deliveries.append(Delivery(
                    channel=channel, kind=via, user_id=rid if kind == "user" else None,
                    unit_id=rid if kind == "unit" else None, message=message, topic=topic,
                    title=_title(topic, group), lines=[{"text": i.line, "link": i.link} for i in group],
                    next_attempt_at=now, created_at=now))
        Delivery.objects.bulk_create(deliveries)

        for key, group in groups.items():
            message = messages.get(key)
            NoticeItem.objects.filter(pk__in=[i.pk for i in group]).update(
                flushed_at=now, message=message)
    return len(messages) + len(deliveries)


# -------------------------------------------------------------------------------------- deliver_due

LEASE_LOST_ERROR = "发送中断：租约到期，发送进程可能已退出 / interrupted: lease expired"


def _record_attempt(delivery: Delivery, *, started_at, finished_at, ok: bool, error: str = "") -> None:
    DeliveryAttempt.objects.create(delivery=delivery, channel_id=delivery.channel_id, number=delivery.attempts,
                                   started_at=started_at, finished_at=finished_at, ok=ok, error=error[:2000])


def _fail(delivery: Delivery, error: str) -> None:
    delivery.status = DeliveryStatus.FAILED
    delivery.last_error = error[:2000]
    delivery.lease_until = None
    delivery.lease_token = ""
    delivery.save(update_fields=["status", "last_error", "lease_until", "lease_token"])


def _budgets(channels: dict[int, Channel], now, claiming: set[int]) -> tuple[dict[int, int], dict[int, object]]:
    """For each rate-limited channel: how many more may start now, and when the next slot frees."""
    budget, frees_at = {}, {}
    since = now - RATE_WINDOW
    for cid, channel in channels.items():
        if not channel.rate_limit:
            continue
        starts = list(DeliveryAttempt.objects.filter(channel_id=cid, started_at__gt=since)
                      .values_list("started_at", flat=True))
        starts += list(Delivery.objects.filter(channel_id=cid, status=DeliveryStatus.SENDING, lease_until__gt=now)
                       .exclude(pk__in=claiming).values_list("claimed_at", flat=True))
        starts = sorted(s for s in starts if s is not None)
        budget[cid] = channel.rate_limit - len(starts)
        oldest = starts[0] if starts else now
        frees_at[cid] = max(oldest + RATE_WINDOW, now + dt.timedelta(seconds=1))
    return budget, frees_at


def _claim(now, batch: int, counts: Counter) -> tuple[list[Delivery], int]:
    """Claim up to ``batch`` due deliveries (one transaction); returns (claimed, rows looked at)."""
    due = (Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING], next_attempt_at__lte=now)
           | Q(status=DeliveryStatus.SENDING, lease_until__lte=now))
    with transaction.atomic():
        rows = list(_locked(Delivery.objects.filter(due).order_by("next_attempt_at", "id"))[:batch])
        if not rows:
            return [], 0
        # The channels' rows serialise the rate-limit arithmetic between senders (no skip here).
        channel_ids = sorted({r.channel_id for r in rows if r.channel_id})
        channels = {c.pk: c for c in _locked(Channel.objects.filter(pk__in=channel_ids).order_by("pk"),
                                             skip_locked=False)}
        budget, frees_at = _budgets(channels, now, {r.pk for r in rows})
        claimed = []
        for row in rows:
            if row.status == DeliveryStatus.SENDING:  # its sender died mid-send
                _record_attempt(row, started_at=row.claimed_at or now, finished_at=now, ok=False,
                                error=LEASE_LOST_ERROR)
                row.last_error = LEASE_LOST_ERROR
                counts["expired"] += 1
                if row.attempts >= max_attempts():
                    _fail(row, LEASE_LOST_ERROR)
                    counts["failed"] += 1
                    continue
                row.status = DeliveryStatus.RETRYING
            channel = channels.get(row.channel_id)
            if row.kind != EMAIL and (channel is None or not channel.is_active):
                _fail(row, "渠道已停用 / channel disabled")
                counts["failed"] += 1
                continue
            if channel is not None and row.channel_id in budget:
                if budget[row.channel_id] <= 0:
                    row.next_attempt_at = frees_at[row.channel_id]
                    row.save(update_fields=["status", "next_attempt_at", "last_error"])
                    counts["waiting"] += 1
                    continue
                budget[row.channel_id] -= 1
            row.status = DeliveryStatus.SENDING
            row.attempts += 1
            row.claimed_at = now
            row.lease_until = now + LEASE
            row.lease_token = uuid.uuid4().hex
            row.save(update_fields=["status", "attempts", "claimed_at", "lease_until", "lease_token", "last_error"])
            row.channel = channel
            claimed.append(row)
    users = {u.pk: u for u in User.objects.filter(pk__in={r.user_id for r in claimed if r.user_id})}
    for row in claimed:
        row.user = users.get(row.user_id)
    return claimed, len(rows)


def _finish(delivery: Delivery, *, started, finished, error: str | None, permanent: bool) -> str:
    """Record the attempt and its outcome, if this sender still holds the lease."""
    with transaction.atomic():
        row = _locked(Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING,
                                              lease_token=delivery.lease_token), skip_locked=False).first()
        if row is None:
            log.warning("delivery %s: lease lost before the result was recorded", delivery.pk)
            return "lease_lost"
        _record_attempt(row, started_at=started, finished_at=finished, ok=error is None, error=error or "")
        row.lease_until, row.lease_token = None, ""
        if error is None:
            row.status, row.sent_at, row.last_error = DeliveryStatus.SENT, finished, ""
            outcome = "sent"
        elif permanent or row.attempts >= max_attempts():
            row.status, row.last_error = DeliveryStatus.FAILED, error[:2000]
            outcome = "failed"
        else:
            row.status, row.last_error = DeliveryStatus.RETRYING, error[:2000]
            row.next_attempt_at = started + backoff(row.attempts)
            outcome = "retrying"
        row.save(update_fields=["status", "sent_at", "last_error", "next_attempt_at", "lease_until",
                                "lease_token"])
    return outcome


def deliver_due(*, now=None, limit=100) -> dict:
    """Send the deliveries that are due; returns counts by outcome.

    Rows are claimed (status 发送中 with a lease) in small transactions with SKIP LOCKED; each channel's
    rate limit is counted over the rolling minute of attempts (a delivery over the limit waits for the
    next free slot, it is not failed). Sending happens outside any transaction; then the attempt is
    recorded and the row marked 已发送, or 重试中 with exponential backoff, or 失败 after the last
    attempt. A lease that expired (a sender killed mid-send) makes the row due again."""
    fixed_now = now
    counts: Counter = Counter({"sent": 0, "retrying": 0, "failed": 0, "waiting": 0, "expired": 0,
                               "lease_lost": 0})
    done = 0
    while done < limit:
        moment = fixed_now or timezone.now()
        claimed, looked_at = _claim(moment, min(CLAIM_BATCH, limit - done), counts)
        if not looked_at:
            break
        for delivery in claimed:
            error, permanent = None, False
            try:
                sender(delivery.kind)(delivery)
            except SendError as exc:
                error, permanent = exc.message, exc.permanent
            except Exception as exc:  # a bug in a plugin must not leave the row leased until expiry
                log.exception("delivery %s: unexpected error", delivery.pk)
                error = f"内部错误 / internal error: {exc!r}"
            finished = fixed_now or timezone.now()
            counts[_finish(delivery, started=moment, finished=finished, error=error, permanent=permanent)] += 1
            done += 1
    return dict(counts)


# ------------------------------------------------------------------------------------------- people


def can_manage(actor) -> bool:
    return actor is None or (actor.is_active and actor.is_admin)


def can_view_deliveries(actor) -> bool:
    return actor is None or (actor.is_active and (actor.is_admin or actor.has_role(Role.COMMANDER)))


def validate_url(url: str) -> str:
    url = (url or "").strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("地址应以 http:// 或 https:// 开头，并包含主机名 / URL must be http(s)", field="url")
    if any(ch.isspace() for ch in url):
        raise Invalid("地址中不能有空格 / URL must not contain spaces", field="url")
    try:
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        raise Invalid("地址的端口无效 / bad port in URL", field="url") from None
    return url


def channel_save(*, actor, channel: Channel) -> Channel:
    """Add or change a channel (administrators; audited, the secret only as masked)."""
    if not can_manage(actor):
        raise Forbidden("只有管理员可以维护通知渠道 / only administrators manage channels")
    if not channel.name.strip():
        raise Invalid("渠道名称不能为空 / name is required", field="name")
    if channel.kind not in ChannelKind.values:
        raise Invalid(f"未知的渠道类型“{channel.kind}” / unknown kind", field="kind")
    if not channel.unit_id:
        raise Invalid("请选择渠道所属单位 / owner unit is required", field="unit")
    channel.url = validate_url(channel.url)
    channel.name, channel.secret = channel.name.strip(), channel.secret.strip()
    with transaction.atomic():
        before = None
        if channel.pk:
            before = Channel.objects.select_for_update().get(pk=channel.pk).snapshot()
        channel.save()
        audit.record(actor=actor, action="notify.channel.update" if before else "notify.channel.create",
                     obj=channel, before=before, after=channel.snapshot())
    return channel


def subscription_save(*, actor, subscription: Subscription) -> Subscription:
    if not can_manage(actor):
        raise Forbidden("只有管理员可以维护通知订阅 / only administrators manage subscriptions")
    s = subscription
    if bool(s.user_id) == bool(s.unit_id):
        raise Invalid("订阅应指定人员或单位之一(不能两者都填或都不填) / a user or a unit, not both", field="user")
    if s.unit_id and not s.channel_id:
        raise Invalid("单位订阅需要选择渠道(群机器人或 Webhook) / a unit subscription needs a channel",
                      field="channel")
    if s.topic and s.topic not in TOPICS:
        raise Invalid(f"未知的通知主题“{s.topic}” / unknown topic", field="topic")
    with transaction.atomic():
        before = None
        if s.pk:
            before = Subscription.objects.select_for_update().get(pk=s.pk).snapshot()
        s.save()
        audit.record(actor=actor, action="notify.subscription.update" if before else "notify.subscription.create",
                     obj=s, before=before, after=s.snapshot())
    return s


def subscription_delete(*, actor, subscription: Subscription) -> None:
    if not can_manage(actor):
        raise Forbidden("只有管理员可以维护通知订阅 / only administrators manage subscriptions")
    with transaction.atomic():
        before = subscription.snapshot()
        repr_ = str(subscription)
        pk = subscription.pk
        subscription.delete()
        audit.record(actor=actor, action="notify.subscription.delete", object_type="notify.subscription",
                     object_id=pk, object_repr=repr_, before=before)


def delivery_resend(*, actor, delivery: Delivery, now=None) -> Delivery:
    """重新发送: a failed delivery goes back to 待发送 with a fresh set of attempts (audited)."""
    if not can_view_deliveries(actor):
        raise Forbidden("只有管理员和指挥部可以重新发送 / only administrators and the command post resend")
    now = now or timezone.now()
    with transaction.atomic():
        # of=self: the scope joins the recipient's unit through an outer join, which PostgreSQL cannot lock.
        qs = Delivery.objects.visible_to(actor) if actor is not None else Delivery.objects.all()
        row = qs.select_for_update(of=("self",)).filter(pk=delivery.pk).first()
        if row is None:
            raise NotFound("发送记录不存在或无权查看 / not found")
        if row.status != DeliveryStatus.FAILED:
            raise Invalid(f"只有失败的发送可以重新发送(当前：{row.get_status_display()}) / only failed deliveries")
        before = {"status": row.status, "attempts": row.attempts, "last_error": row.last_error}
        row.status, row.attempts, row.next_attempt_at = DeliveryStatus.PENDING, 0, now
        row.save(update_fields=["status", "attempts", "next_attempt_at"])
        audit.record(actor=actor, action="notify.delivery.resend", obj=row, before=before,
                     after={"status": row.status, "attempts": 0})
    return row


def messages_mark_read(*, user, ids: Iterable[int] | None = None, all_messages: bool = False, now=None) -> int:
    """Mark the reader's own messages read (some, or all). An id that is not the reader's is 404 and
    nothing is marked."""
    now = now or timezone.now()
    mine = Message.objects.filter(user=user)
    if all_messages:
        return mine.filter(read_at__isnull=True).update(read_at=now)
    wanted = set(ids or ())
    if not wanted:
        raise Invalid("请指定要标为已读的消息 / no messages given", field="ids")
    with transaction.atomic():
        found = set(mine.filter(pk__in=wanted).values_list("pk", flat=True))
        if found != wanted:
            raise NotFound("消息不存在或无权查看 / not found")
        return mine.filter(pk__in=wanted, read_at__isnull=True).update(read_at=now)
