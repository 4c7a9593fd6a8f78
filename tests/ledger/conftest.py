from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gongjian.ledger import services
from gongjian.ledger.models import Campaign, Category, EscalationLevel, Source
from tests.factories import District

# A fixed "today" (a Monday in a plain week of 2026), so deadlines do not depend on the real date.
TODAY = dt.date(2026, 6, 1)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(services, "today", lambda: TODAY)
    return TODAY


def jpeg(name="photo.jpg", size=(64, 48), exif=None) -> SimpleUploadedFile:
    buf = io.BytesIO()
    img = Image.new("RGB", size, (120, 160, 90))
    if exif is not None:
        img.save(buf, "JPEG", exif=exif)
    else:
        img.save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


@dataclass
class Ledger:
    d: District
    campaign: Campaign
    garbage: Category
    dust: Category

    def report(self, actor=None, **kw):
        kw.setdefault("title", "路边垃圾堆放")
        kw.setdefault("source", Source.DISTRICT_INSPECTION)
        kw.setdefault("category", self.garbage)
        return services.case_report(actor=actor or self.d["grid_worker_a"], campaign=self.campaign, **kw)

    def assigned(self, **kw):
        """A case reported in street A's grid, registered and assigned to community A."""
        case = self.report(lng=113.205, lat=35.205, **kw)
        case = services.transition(actor=self.d["commander"], case=case, action="register")
        return services.transition(actor=self.d["commander"], case=case, action="assign", workdays=3)

    def submitted(self, **kw):
        case = self.assigned(**kw)
        case = services.transition(actor=self.d["handler_a"], case=case, action="accept")
        services.evidence_add(actor=self.d["handler_a"], case=case, stage="after", upload=jpeg("after.jpg"))
        return services.transition(actor=self.d["handler_a"], case=case, action="submit")


@pytest.fixture
def ledger(district) -> Ledger:
    campaign = services.campaign_create(
        actor=None, name="污染围城集中整治", serial_prefix="测试整治", command_unit=district.command,
        starts_on=dt.date(2026, 5, 1),
        categories=[{"name": "垃圾围城", "default_workdays": 3, "children": [{"name": "建筑垃圾"}]},
                    {"name": "扬尘", "default_workdays": 5}],
        escalation=[{"level": EscalationLevel.WARNING, "overdue_workdays": 1},
                    {"level": EscalationLevel.LISTED, "overdue_workdays": 3, "notify_leader": True},
                    {"level": EscalationLevel.SUMMONS, "overdue_workdays": 5},
                    {"level": EscalationLevel.ACCOUNTABILITY, "overdue_workdays": 10}])
    garbage = campaign.categories.get(name="垃圾围城")
    dust = campaign.categories.get(name="扬尘")
    return Ledger(district, campaign, garbage, dust)
