from django.conf import settings

from gongjian.core import audit


def client_ip(request) -> str:
    if getattr(settings, "GONGJIAN_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64]
    return (request.META.get("REMOTE_ADDR") or "")[:64]


class AuditContextMiddleware:
    """Makes the client address available to audit.record for the length of the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = audit.set_request_context(audit.RequestContext(client_ip=client_ip(request)))
        try:
            return self.get_response(request)
        finally:
            audit.reset_request_context(token)
