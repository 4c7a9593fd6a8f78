from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

import gongjian

# The catalogue's msgid for the default GONGJIAN_SITE_NAME (see config/settings.py).
gettext_noop("攻坚指挥平台")


def site(request):
    user = getattr(request, "user", None)
    nav = []
    if user is not None and user.is_authenticated:
        from gongjian.org.permissions import can_read_audit

        # Entries whose page is not installed resolve to "" and are left out by the template.
        nav = [("home", _("工作台")), ("ledger:list", _("台账")), ("ledger:report", _("上报")),
               ("ledger:map", _("挂图作战")), ("org:units", _("组织机构")), ("org:grids", _("网格"))]
        nav += [("reporting:daily", _("每日报送")), ("reporting:documents", _("公文")), ("inspection:list", _("督查"))]
        nav.append(("assessment:ranking", _("考核排名")))
        nav.append(("air:ranking", _("空气质量")))
        if can_read_audit(user):
            nav.append(("audit", _("审计日志")))
        nav.append(("tokens", _("API 令牌")))
        from gongjian.notify import selectors as notify_selectors
        from gongjian.notify.services import can_view_deliveries

        if can_view_deliveries(user):
            nav.append(("notify:deliveries", _("发送记录")))
        from gongjian.jobs.services import can_manage as can_manage_jobs

        if can_manage_jobs(user):
            nav.append(("jobs:status", _("后台任务")))
        # One COUNT per page (indexed on user and read_at): the unread badge of 收件箱.
        inbox_unread = notify_selectors.unread_count(user)
        return {"gj_site_name": _(settings.GONGJIAN_SITE_NAME), "version": gongjian.__version__, "nav": nav,
                "inbox_unread": inbox_unread, "gj_photo_max_side": settings.GONGJIAN_PHOTO_MAX_SIDE}
    # The default site name has an English translation; a configured one is shown as configured.
    return {"gj_site_name": _(settings.GONGJIAN_SITE_NAME), "version": gongjian.__version__, "nav": nav}
