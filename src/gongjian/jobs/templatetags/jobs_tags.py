from django import template
from django.utils.translation import gettext

from gongjian.jobs import selectors

register = template.Library()

RESULT_WORDS = {"cases": "案件", "notices": "通知", "escalated": "升级", "missing": "未报单位", "units": "单位",
                "flushed": "汇总", "sent": "已发", "retrying": "重试", "failed": "失败", "documents": "公文",
                "tasks": "任务记录", "runs": "运行记录", "workers": "工作进程", "files": "删除文件"}


@register.filter
def task_title(path: str) -> str:
    """The task's title in the reader's language."""
    return gettext(selectors.task_title(path))


@register.filter
def error_line(traceback: str) -> str:
    return selectors.error_line(traceback)


@register.filter
def get_label(labels: dict, key: str) -> str:
    """The label of key (a status) in the reader's language."""
    return gettext(labels.get(key, key))


@register.filter
def summary(value) -> str:
    """A task's return value in a few words: 案件 12，通知 24 / a skip reason."""
    if not isinstance(value, dict):
        return "" if value is None else str(value)[:80]
    if value.get("skipped"):
        return str(value["skipped"]).split(" / ")[0]
    parts = []
    for key, word in RESULT_WORDS.items():
        if key in value and value[key] not in (None, 0, []):
            shown = len(value[key]) if isinstance(value[key], list) else value[key]
            parts.append(f"{word} {shown}")
    return "，".join(parts)
