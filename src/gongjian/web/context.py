from django.conf import settings

import gongjian


def site(request):
    user = getattr(request, "user", None)
    nav = []
    if user is not None and user.is_authenticated:
        from gongjian.org.permissions import can_read_audit

        # Entries whose page is not installed resolve to "" and are left out by the template.
        nav = [("home", "工作台"), ("ledger:list", "台账"), ("ledger:report", "上报"), ("ledger:map", "挂图作战"),
               ("org:units", "组织机构"), ("org:grids", "网格")]
        if can_read_audit(user):
            nav.append(("audit", "审计日志"))
        nav.append(("tokens", "API 令牌"))
    return {"gj_site_name": settings.GONGJIAN_SITE_NAME, "version": gongjian.__version__, "nav": nav}
