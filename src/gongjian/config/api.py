"""The one NinjaAPI: session or bearer-token auth, one error format, docs at /api/docs."""

from __future__ import annotations

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from ninja.security import APIKeyCookie, HttpBearer

import gongjian
from gongjian.air.api import router as air_router
from gongjian.assessment.api import router as assessment_router
from gongjian.core.api import router as audit_router
from gongjian.core.errors import DomainError
from gongjian.gateway.api import router as gateway_router
from gongjian.inspection.api import router as inspection_router
from gongjian.ledger.api import router as ledger_router
from gongjian.notify.api import router as notify_router
from gongjian.org.api import router as org_router
from gongjian.org.api import tokens as token_router
from gongjian.org.services import token_authenticate
from gongjian.reporting.api import router as daily_router


class TokenAuth(HttpBearer):
    """``Authorization: Bearer gj_…`` for apps and devices."""

    def authenticate(self, request, token):
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The browser's session; CSRF is checked for unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


class ChineseJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=ChineseJSONRenderer(),
    title="gongjian API",
    version=gongjian.__version__,
    description="攻坚指挥平台接口。认证：浏览器会话(需 CSRF)或 `Authorization: Bearer <令牌>`。"
                "错误统一为 `{\"error\": {\"code\", \"message\", \"field\"?, \"details\"?}}`。",
    auth=[TokenAuth(), SessionAuth(csrf=True)],
    urls_namespace="api",
)


def _error(request, status: int, code: str, message: str, **extra):
    body = {"code": code, "message": message}
    body.update({k: v for k, v in extra.items() if v is not None})
    return api.create_response(request, {"error": body}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    details = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")]
        details.append({"field": ".".join(loc), "message": err.get("msg", "")})
    first = details[0] if details else {"field": "", "message": ""}
    msg = f"请求数据有误：{first['field']} {first['message']} / invalid request"
    return _error(request, 400, "invalid", msg, field=first["field"] or None, details=details)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return _error(request, 401, "unauthenticated", "请先登录或提供有效的令牌 / authentication required")


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not_found", "记录不存在或无权查看 / not found")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    code = {403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
    return _error(request, exc.status_code, code, str(exc))


api.add_router("/org", org_router)
api.add_router("/tokens", token_router)
api.add_router("/audit", audit_router)
api.add_router("/ledger", ledger_router)
api.add_router("/daily", daily_router)
api.add_router("/inspections", inspection_router)
api.add_router("/assessment", assessment_router)
api.add_router("/air", air_router)
api.add_router("/gateway", gateway_router)
api.add_router("/notify", notify_router)
