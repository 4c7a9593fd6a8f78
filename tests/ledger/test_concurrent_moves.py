"""Two people working the loop at the same moment in the same unit: neither waits on the other for ever.

The trigger-kept tally (CaseTally) and the audit chain head are both locked by every move; if one kind of
transaction took them in the other order than another, two of them would deadlock and PostgreSQL would
abort one (the person would see an error and lose the move). Here two threads, each with its own
connection, take cases round the whole loop at once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from gongjian.core import audit
from gongjian.ledger import services
from gongjian.ledger.models import Case, Status
from tests.ledger.conftest import fixed_today, jpeg, ledger  # noqa: F401  (fixtures)

LOOPS = 12


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("way", ["api", "page"])
def test_two_people_closing_cases_at_once_never_deadlock(installation_rows, ledger, way):  # noqa: F811
    """``api``: the after-photo added, then 提交 (two transactions); ``page``: the case page's 提交 with its
    photos (one transaction: evidence rows, the move and their audit events)."""
    d = ledger.d
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(tag: str) -> None:
        try:
            barrier.wait(10)
            for i in range(LOOPS):
                case = ledger.report(title=f"{tag}{i}", lng=113.205, lat=35.205)
                case = services.transition(actor=d["commander"], case=case, action="register")
                case = services.transition(actor=d["commander"], case=case, action="assign", workdays=3)
                case = services.transition(actor=d["handler_a"], case=case, action="accept")
                if way == "page":
                    case = services.submit_with_photos(actor=d["handler_a"], case=case, photos=[jpeg()])
                else:
                    services.evidence_add(actor=d["handler_a"], case=case, stage="after", upload=jpeg())
                    case = services.transition(actor=d["handler_a"], case=case, action="submit")
                services.transition(actor=d["inspector"], case=case, action="close")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(tag,)) for tag in ("甲", "乙")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert errors == []
    assert Case.objects.filter(status=Status.CLOSED).count() == 2 * LOOPS
    assert audit.verify().ok
