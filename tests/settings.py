"""Settings for the test suite: the real settings, in a throw-away GONGJIAN_HOME."""

import os
import tempfile

# Never touch a developer's data directory; keep GONGJIAN_DATABASE_URL (CI sets it for PostgreSQL).
os.environ["GONGJIAN_HOME"] = tempfile.mkdtemp(prefix="gongjian-test-")
os.environ["GONGJIAN_TESTING"] = "1"
os.environ.pop("GONGJIAN_DEBUG", None)
os.environ.pop("GONGJIAN_SECRET_KEY", None)

from gongjian.config.settings import *  # noqa: F403

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# Fast hashing in tests; production keeps Django's default (PBKDF2).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Writes through this process refresh the per-process table copies at once (signals); the timed re-read that
# catches other processes' writes would add a query whenever a loaded machine spaces two requests of a test
# more than two seconds apart, and make the pinned query counts flaky. tests/core/test_table_cache.py sets
# its own values to test that re-read.
CACHE_RECHECK_SECONDS = 3600
