import os

from django.conf import settings


def test_suite_uses_its_own_data_directory():
    assert "gongjian-test-" in os.environ["GONGJIAN_HOME"]
    assert str(settings.HOME) == os.environ["GONGJIAN_HOME"]
