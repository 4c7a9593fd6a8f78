"""Two senders racing: threads with their own database connections run publish, flush and deliver_due
at once (on PostgreSQL: row locks with SKIP LOCKED; on SQLite: one writer at a time). Every item ends
up in exactly one message, and the local endpoint receives every delivery exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.db import connections

from gongjian.notify import services
from gongjian.notify.models import Delivery, DeliveryAttempt, Message, NoticeItem
from tests.factories import make_district
from tests.notify.conftest import make_channel, subscribe

pytestmark = pytest.mark.django_db(transaction=True)

KEYS = 60


def _run(threads):
    errors: list[BaseException] = []

    def guard(fn):
        def run():
            try:
                fn()
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                connections.close_all()
        return run

    started = [threading.Thread(target=guard(fn)) for fn in threads]
    for t in started:
        t.start()
    for t in started:
        t.join(120)
    assert not any(t.is_alive() for t in started), "a worker hung"
    assert not errors, errors


def test_racing_publishers_flushers_and_senders_do_everything_exactly_once(endpoint):
    d = make_district()
    users = [d["handler_a"], d["handler_b"], d["commander"]]
    for u in users:
        u.email = f"{u.username}@example.org"
        u.save()
        subscribe(user=u)  # email for every topic
    hook_a = make_channel(d.street_a, f"{endpoint.url}/a", kind="webhook", rate_limit=0)
    hook_b = make_channel(d.street_b, f"{endpoint.url}/b", kind="webhook", rate_limit=0)
    subscribe(unit=d.street_a, channel=hook_a)
    subscribe(unit=d.street_b, channel=hook_b)

    def slow_ok(n):
        time.sleep(0.003)
        return (200, "ok")

    endpoint.answer = slow_ok
    barrier = threading.Barrier(4)
    published = threading.Event()
    done_publishing = Counter()
    lock = threading.Lock()

    def publisher():
        barrier.wait()
        for i in range(KEYS):  # both publishers publish the same facts
            services.publish(topic="reminder" if i % 3 else "escalation", key=f"k:{i}", title="提醒",
                             line=f"案件 {i} 明天到期", link=f"/cases/{i}/", users=users, units=[d.street_a, d.street_b])
        with lock:
            done_publishing["n"] += 1
            if done_publishing["n"] == 2:
                published.set()

    work = Counter()

    def worker():
        me = threading.get_ident()
        barrier.wait()
        idle = 0
        while idle < 3:
            flushed = services.flush(limit=25)
            sent = services.deliver_due(limit=8)
            with lock:
                work[me] += sent["sent"]
            busy = flushed or sent["sent"] or sent["retrying"] or sent["failed"]
            idle = 0 if (busy or not published.is_set()) else idle + 1

    _run([publisher, publisher, worker, worker])
    # Both senders ran their loops at once; how the 125 deliveries split between them is up to the scheduler
    # (on a loaded machine one may take them all), so only the exactly-once checks below are asserted.
    assert len(work) == 2, work

    items = list(NoticeItem.objects.all())
    assert len(items) == KEYS * (len(users) + 2)  # each fact once per recipient, despite two publishers
    assert all(i.flushed_at is not None for i in items)
    user_items = [i for i in items if i.user_id]
    assert all(i.message_id for i in user_items)
    # Each item is in exactly one message: the messages' lines add up to the items, per person.
    lines = Counter()
    for m in Message.objects.all():
        lines[m.user_id] += len(m.lines)
    assert lines == Counter({u.pk: KEYS for u in users})

    deliveries = list(Delivery.objects.all())
    assert deliveries and all(x.status == "sent" for x in deliveries)
    # Every delivery went out exactly once: emails in the outbox, webhooks at the endpoint.
    from django.core import mail

    hook_ids = Counter(int(r.headers["x-gongjian-delivery"]) for r in endpoint.requests)
    assert set(hook_ids.values()) == {1}
    assert set(hook_ids) == {x.pk for x in deliveries if x.kind == "webhook"}
    assert len(mail.outbox) == sum(1 for x in deliveries if x.kind == "email")
    # The units' deliveries carry each of their items once.
    unit_lines = Counter()
    for x in deliveries:
        if x.unit_id:
            unit_lines[x.unit_id] += len(x.lines)
    assert unit_lines == Counter({d.street_a.pk: KEYS, d.street_b.pk: KEYS})
    assert DeliveryAttempt.objects.count() == len(deliveries)
