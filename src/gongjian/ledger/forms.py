"""Forms of the ledger's pages, and the one parser of ledger filters from query parameters.

``LedgerFilterForm`` turns query parameters (the ledger page's filter bar, its export link, the
REST list ``GET /api/ledger/cases``) into a ``selectors.LedgerFilter``. A bad value is an error on
its field, in Chinese; ``to_filter()`` keeps only the fields that are right, so the page still
shows a usable table next to the message.
"""

from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from gongjian.ledger import selectors
from gongjian.ledger.models import Campaign, Category, Source, Status
from gongjian.org.models import Unit

ORDER_LABELS = {
    "-reported": _("上报时间(新的在前)"), "reported": _("上报时间(早的在前)"), "deadline": _("整改期限(近的在前)"),
    "-deadline": _("整改期限(远的在前)"), "serial": _("编号(升序)"), "-serial": _("编号(降序)"), "status": _("状态"),
    "unit": _("责任单位"),
}
IMPORT_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")


class _ManyAsOne(forms.Select):
    """A single select whose value may also arrive repeated (?status=a&status=b from the API or a link)."""

    def value_from_datadict(self, data, files, name):
        getlist = getattr(data, "getlist", None)
        values = getlist(name) if getlist else data.get(name)
        if values is None:
            return []
        if isinstance(values, str):
            values = [values]
        return [v for v in values if v not in ("", None)]


class _UnitChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return "\u3000" * max(obj.depth - 1, 0) + obj.name


class _CategoryChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        name = f"{obj.parent.name}/{obj.name}" if obj.parent_id else obj.name
        return f"{obj.campaign.name} · {name}"


def _choice_errors(what: str) -> dict:
    return {"invalid_choice": format_lazy(_("{what}“%(value)s”无效，请从列表中选择"), what=what)}


def _model_errors(what: str) -> dict:
    return {"invalid_choice": format_lazy(_("找不到该{what}(或无权查看)，请从列表中选择"), what=what),
            "invalid_pk_value": format_lazy(_("{what}编号无效"), what=what)}


_DATE_ERRORS = {"invalid": _("日期无效，应为 年-月-日，如 2026-06-01")}


class LedgerFilterForm(forms.Form):
    campaign = forms.ModelChoiceField(label=_("专项行动"), queryset=Campaign.objects.none(), required=False,
                                      empty_label=_("全部专项行动"), error_messages=_model_errors(_("专项行动")))
    unit = _UnitChoice(label=_("责任单位"), queryset=Unit.objects.none(), required=False, empty_label=_("全部单位"),
                       error_messages=_model_errors(_("单位")))
    status = forms.MultipleChoiceField(label=_("状态"), choices=[("", _("全部状态")), *[(v, _(label)) for v, label in Status.choices]], required=False,
                                       widget=_ManyAsOne, error_messages=_choice_errors(_("状态")))
    source = forms.MultipleChoiceField(label=_("来源"), choices=[("", _("全部来源")), *[(v, _(label)) for v, label in Source.choices]], required=False,
                                       widget=_ManyAsOne, error_messages=_choice_errors(_("来源")))
    category = _CategoryChoice(label=_("问题类别"), queryset=Category.objects.none(), required=False,
                               empty_label=_("全部类别"), error_messages=_model_errors(_("类别")))
    light = forms.ChoiceField(label=_("亮灯"), required=False, error_messages=_choice_errors(_("亮灯")),
                              choices=[("", _("全部")), *[(k, _(label)) for k, label in selectors.LIGHTS.items()]])
    reported_from = forms.DateField(label=_("上报日期 从"), required=False, error_messages=_DATE_ERRORS,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    reported_to = forms.DateField(label=_("上报日期 至"), required=False, error_messages=_DATE_ERRORS,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    deadline_from = forms.DateField(label=_("整改期限 从"), required=False, error_messages=_DATE_ERRORS,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    deadline_to = forms.DateField(label=_("整改期限 至"), required=False, error_messages=_DATE_ERRORS,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    closed_from = forms.DateField(label=_("销号日期 从"), required=False, error_messages=_DATE_ERRORS,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    closed_to = forms.DateField(label=_("销号日期 至"), required=False, error_messages=_DATE_ERRORS,
                                widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(label=_("关键词"), required=False, max_length=100, strip=True,
                        error_messages={"max_length": _("关键词最多 %(limit_value)d 个字")},
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("编号、标题、地址、描述")}))
    order = forms.ChoiceField(label=_("排序"), required=False, widget=forms.HiddenInput,
                              choices=[("", _("默认")), *ORDER_LABELS.items()], error_messages=_choice_errors(_("排序")))

    def __init__(self, data=None, *, user, **kw):
        kw.setdefault("label_suffix", "")
        super().__init__(data, **kw)
        campaigns = selectors.campaigns_visible(user)
        self.fields["campaign"].queryset = campaigns
        self.fields["unit"].queryset = Unit.objects.visible_to(user).order_by("path")
        self.fields["category"].queryset = (Category.objects.filter(campaign__in=campaigns)
                                            .select_related("campaign", "parent")
                                            .order_by("campaign__name", "parent_id", "order", "id"))

    def clean(self):
        data = super().clean()
        for what, start, end in ((_("上报日期"), "reported_from", "reported_to"),
                                 (_("整改期限"), "deadline_from", "deadline_to"),
                                 (_("销号日期"), "closed_from", "closed_to")):
            if data.get(start) and data.get(end) and data[end] < data[start]:
                self.add_error(end, _("%(what)s的结束日期不能早于开始日期") % {"what": what})
        return data

    def to_filter(self) -> selectors.LedgerFilter:
        """The filter of the fields that are right (a bad field is left out, with its error shown)."""
        if not self.is_bound:
            return selectors.LedgerFilter()
        self.is_valid()
        d = self.cleaned_data
        return selectors.LedgerFilter(
            campaign=d["campaign"].pk if d.get("campaign") else None,
            unit=d["unit"].pk if d.get("unit") else None,
            status=list(d.get("status") or []), source=list(d.get("source") or []),
            category=d["category"].pk if d.get("category") else None,
            light=d.get("light") or None,
            reported_from=d.get("reported_from"), reported_to=d.get("reported_to"),
            deadline_from=d.get("deadline_from"), deadline_to=d.get("deadline_to"),
            closed_from=d.get("closed_from"), closed_to=d.get("closed_to"),
            q=d.get("q") or "", order=d.get("order") or "",
        )

    def first_error(self) -> tuple[str, str] | None:
        """(field, message) of the first bad field, for the API's one-error answer."""
        if not self.is_bound or self.is_valid():
            return None
        for name, errors in self.errors.items():
            return name, f"{self.fields[name].label if name in self.fields else name}{_('：')}{errors[0]}"
        return None


class BulkAssignForm(forms.Form):
    unit = _UnitChoice(label=_("交办给(责任单位)"), queryset=Unit.objects.none(), empty_label=_("请选择单位"),
                       error_messages={**_model_errors(_("单位")), "required": _("请选择责任单位")})
    workdays = forms.IntegerField(label=_("整改时限(工作日)"), min_value=0, max_value=365,
                                  error_messages={"required": _("请填写整改时限(工作日数)"), "invalid": _("工作日数应为整数"),
                                                  "min_value": _("工作日数不能为负"), "max_value": _("工作日数最多 365")})
    cases = forms.TypedMultipleChoiceField(label=_("选中的案件"), coerce=int, choices=(),
                                           error_messages={"required": _("请先勾选要交办的案件")})

    MAX_CASES = 200

    def __init__(self, data=None, *, units, **kw):
        super().__init__(data, **kw)
        self.fields["unit"].queryset = units
        ids = data.getlist("cases") if data is not None and hasattr(data, "getlist") else []
        # The choices are whatever ids were posted: scope is checked when they are loaded.
        self.fields["cases"].choices = [(v, v) for v in ids if str(v).isdigit()]

    def clean_cases(self):
        ids = self.cleaned_data["cases"]
        if len(ids) > self.MAX_CASES:
            raise forms.ValidationError(_("一次最多交办 %(n)s 件，请分批操作") % {"n": self.MAX_CASES})
        return ids


class ImportForm(forms.Form):
    campaign = forms.ModelChoiceField(label=_("导入到专项行动"), queryset=Campaign.objects.none(),
                                      empty_label=_("请选择专项行动"),
                                      error_messages={**_model_errors(_("专项行动")), "required": _("请选择专项行动")})
    file = forms.FileField(label=_("台账文件(xlsx、xls、ods、csv)"),
                           error_messages={"required": _("请选择要导入的文件"), "empty": _("文件是空的")})

    def __init__(self, *args, user, **kw):
        kw.setdefault("label_suffix", "")
        super().__init__(*args, **kw)
        self.fields["campaign"].queryset = selectors.campaigns_visible(user)
        self.fields["file"].widget.attrs["accept"] = ",".join(IMPORT_SUFFIXES)

    def clean_file(self):
        f = self.cleaned_data["file"]
        name = f.name.lower()
        if not name.endswith(IMPORT_SUFFIXES):
            raise forms.ValidationError(_("不支持“%(name)s”的文件类型：请上传 .xlsx、.xls、.ods 或 .csv 文件") % {"name": f.name})
        return f
