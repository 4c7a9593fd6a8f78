"""Email through Django's email backend (SMTP in production, locmem in tests)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage

from gongjian.notify.channels import SendError, plain


def send(delivery) -> None:
    user = delivery.user
    if user is None or not user.email:
        raise SendError("该人员没有邮箱 / this person has no email address", permanent=True)
    message = EmailMessage(subject=f"[{settings.GONGJIAN_SITE_NAME}] {delivery.title}",
                           body=plain(delivery.title, delivery.lines), to=[user.email])
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # SMTP errors, refused connections: retried like any send
        raise SendError(f"邮件发送失败 / email failed: {exc}") from None
