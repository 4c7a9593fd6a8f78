"""收件箱 in a real browser: the badge in the header, unread messages in bold, a line that opens its case,
mark one read and all read; on a 360 px phone (no sideways scrolling) and on a desktop, with
screenshots; and the command post's 发送记录 with a failed delivery's attempts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gongjian.notify import services
from gongjian.notify.models import Delivery, Message
from tests.notify.conftest import make_channel, subscribe

pytestmark = pytest.mark.django_db(transaction=True)

LONG = "山阳整治〔2026〕{:04d} 占道经营 焦辉路与丰收路交叉口东北角摊点长期占用人行道 … 整改期限 11月30日(明天)"


def _messages(district):
    handler = district["handler_a"]
    t0 = timezone.now() - dt.timedelta(hours=3)
    services.publish(topic="escalation", key="esc:1", title="挂牌督办", line="山阳整治〔2026〕0003 已挂牌督办",
                     link="/ledger/", users=[handler])
    services.flush(now=t0)
    for i in range(12):
        services.publish(topic="reminder", key=f"r:{i}", title="到期提醒", line=LONG.format(i), link="/ledger/",
                         users=[handler])
    services.flush(now=t0 + dt.timedelta(hours=1))
    services.publish(topic="figures", key="fig:1", title="日报催报", line="今日工作量尚未报送，请于 18:00 前报送",
                     link="/daily/", users=[handler])
    services.flush(now=t0 + dt.timedelta(hours=2))
    old = Message.objects.get(topic="escalation")
    services.messages_mark_read(user=handler, ids=[old.pk])
    return handler


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_inbox_reads_and_marks_on_phone_and_desktop(district, device, new_page, login, shot):
    _messages(district)
    page = new_page(phone=device == "phone")
    login(page, "t_handler_a")
    page.goto("/inbox/")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    badge = page.locator("[data-testid=nav-inbox] .nav-badge")
    if device == "phone":
        page.locator("button.menu-toggle").click()
    assert badge.inner_text().startswith("2")
    items = page.get_by_test_id("message")
    assert items.count() == 3
    # Newest first; the unread ones are bold, the read one is not.
    titles = [t.strip() for t in page.locator(".message-title").all_inner_texts()]
    assert [t.replace("未读：", "").strip() for t in titles] == ["日报催报", "到期提醒：12 条", "挂牌督办"]
    weights = page.locator(".message-title").evaluate_all("els => els.map(e => getComputedStyle(e).fontWeight)")
    assert weights == ["700", "700", "400"]
    assert items.nth(1).locator("ol li").count() == 12
    shot(page, "inbox")
    # Mark the reminder read: it loses its bold and the badge counts one.
    items.nth(1).get_by_role("button", name="标为已读").click()
    page.wait_for_url("**/inbox/")
    assert page.locator(".message-title").evaluate_all("els => els.map(e => getComputedStyle(e).fontWeight)") \
        == ["700", "400", "400"]
    page.get_by_role("button", name="全部标为已读").click()
    page.wait_for_url("**/inbox/")
    assert page.get_by_text("已将 1 条消息标为已读").is_visible()
    assert page.locator(".message.unread").count() == 0 and badge.count() == 0
    # A line opens its page.
    page.get_by_role("link", name="今日工作量尚未报送，请于 18:00 前报送").click()
    page.wait_for_url("**/daily/")


def test_command_post_sees_a_failed_delivery_and_its_attempts(district, desktop, login, shot):
    hook = make_channel(district.street_a, "http://127.0.0.1:9/hook", kind="webhook")
    subscribe(unit=district.street_a, channel=hook)
    services.publish(topic="escalation", key="esc:7", title="挂牌督办", line="甲街道案件挂牌督办",
                     units=[district.street_a])
    services.flush()
    now = timezone.now()
    for _ in range(services.max_attempts()):
        services.deliver_due(now=now)
        now += dt.timedelta(minutes=10)
    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    login(desktop, "t_commander")
    desktop.goto("/notify/deliveries/")
    desktop.get_by_label("状态").select_option("failed")
    desktop.get_by_role("button", name="筛选").click()
    desktop.wait_for_url("**status=failed**")
    assert desktop.get_by_test_id("delivery-row").count() == 1
    shot(desktop, "deliveries")
    desktop.get_by_role("link", name=f"#{delivery.pk}").click()
    assert desktop.get_by_test_id("attempts").locator("tbody tr").count() == services.max_attempts()
    shot(desktop, "delivery")
    desktop.get_by_role("button", name="重新发送").click()
    assert desktop.get_by_text("已重新排入发送队列").is_visible()
    assert desktop.get_by_test_id("status").inner_text() == "待发送"
