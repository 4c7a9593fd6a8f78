from django.conf import settings
from django.http import HttpResponse, JsonResponse

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


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body is larger than any upload we accept (HTTP 413),
    before Django reads and spools it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from gongjian.ledger.evidence import MAX_BYTES

        limit = MAX_BYTES + 2 * 1024 * 1024  # room for the form fields around the file
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            message = f"上传内容过大：{length / 1048576:.0f} MB，上限 {MAX_BYTES // 1048576} MB / request too large"
            if request.path.startswith("/api/"):
                return JsonResponse({"error": {"code": "too_large", "message": message}}, status=413,
                                    json_dumps_params={"ensure_ascii": False})
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
