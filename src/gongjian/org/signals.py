"""Sign-in and sign-out go into the audit chain too (who was in the system, and from where)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from gongjian.core import audit


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit.record(actor=user, action="auth.login", obj=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record(actor=user, action="auth.logout", obj=user)
