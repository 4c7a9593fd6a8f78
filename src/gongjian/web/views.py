from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from gongjian.core.errors import DomainError
from gongjian.core.scoping import get_visible
from gongjian.ledger import dashboard
from gongjian.ledger import selectors as ledger_selectors
from gongjian.ledger import services as ledger_services
from gongjian.org import selectors, services
from gongjian.org.models import ApiToken, Unit


class LoginView(auth_views.LoginView):
    template_name = "web/pages/login.html"
    redirect_authenticated_user = True
    extra_context = {"failure_limit": settings.AXES_FAILURE_LIMIT}


@login_required
def home(request):
    """工作台: the dashboard once there is a campaign; before that, who the user is and what they see."""
    user = request.user
    campaigns = list(ledger_selectors.campaigns_visible(user).order_by("-is_active", "-starts_on", "name"))
    if campaigns:
        campaign, error = None, ""
        raw = request.GET.get("campaign", "").strip()
        if raw:
            campaign = next((c for c in campaigns if str(c.pk) == raw), None)
            if campaign is None:
                error = _("专项行动参数“%(raw)s”无效，已显示全部专项行动") % {"raw": raw[:20]}
        context = dashboard.dashboard_context(user, ledger_services.today(), campaign)
        context.update(campaigns=campaigns, campaign_error=error, **_me(user))
        from gongjian.assessment.selectors import leader_ranks

        # A leader sees the last week's ranks of their 分包 units (nothing for everyone else).
        context["leader_ranks"] = leader_ranks(user)
        return render(request, "web/pages/dashboard.html", context)
    context = {
        **_me(user),
        "counts": {
            "units": selectors.units_visible(user).count(),
            "users": selectors.users_visible(user).count(),
            "grids": selectors.grids_visible(user).count(),
        },
    }
    return render(request, "web/pages/home.html", context)


def _me(user) -> dict:
    """Who the user is and what they see: their scope and their 分包 units."""
    paths = user.scope_paths()
    scope_units = [] if paths is None else list(
        Unit.objects.filter(path__in=paths).order_by("depth", "order"))
    return {
        "scope_all": paths is None,
        "scope_units": scope_units,
        "my_assignments": user.leader_assignments.select_related("unit").order_by("unit__path"),
    }


@login_required
def tokens(request):
    context: dict = {}
    if request.method == "POST":
        try:
            if request.POST.get("action") == "revoke":
                token = get_visible(ApiToken.objects.filter(user=request.user), request.user,
                                    pk=request.POST.get("token_id"))
                services.token_revoke(actor=request.user, token=token)
                messages.success(request, _("已吊销令牌“%(name)s”") % {"name": token.name})
            else:
                token, plain = services.token_create(actor=request.user, user=request.user,
                                                     name=request.POST.get("name", ""))
                context.update(new_token=plain, new_token_name=token.name)
        except DomainError as exc:
            context["error"] = exc.message
    context["tokens"] = ApiToken.objects.filter(user=request.user)
    return render(request, "web/pages/tokens.html", context)
