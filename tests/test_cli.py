"""The `gongjian` command as an operator runs it: real processes, a real data directory, a real server.

Each test gets its own GONGJIAN_HOME. When the suite runs on PostgreSQL, the commands get a fresh
PostgreSQL database of their own too, so init/demo/verify are exercised on both databases.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings

GONGJIAN = [sys.executable, "-m", "gongjian.cli"]
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")


def _pg_admin(sql: str) -> None:
    import psycopg

    db = settings.DATABASES["default"]
    conninfo = dict(host=db.get("HOST") or "127.0.0.1", port=db.get("PORT") or 5432,
                    user=db.get("USER") or "postgres", password=db.get("PASSWORD") or None, dbname="postgres")
    with psycopg.connect(**{k: v for k, v in conninfo.items() if v is not None}, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture
def home(tmp_path):
    """Environment for a fresh installation: its own data directory (and PostgreSQL database)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GONGJIAN_", "DJANGO_"))}
    env["GONGJIAN_HOME"] = str(tmp_path / "home")
    env["PYTHONUNBUFFERED"] = "1"
    dbname = None
    if ON_POSTGRES:
        db = settings.DATABASES["default"]
        dbname = f"gj_cli_{uuid.uuid4().hex[:10]}"
        _pg_admin(f'CREATE DATABASE "{dbname}"')
        user = db.get("USER") or "postgres"
        env["GONGJIAN_DATABASE_URL"] = f"postgres://{user}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{dbname}"
        env["GONGJIAN_SECRET_KEY"] = "test-secret-" + uuid.uuid4().hex
    env["_home"] = str(tmp_path / "home")
    yield env
    if dbname:
        _pg_admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def run(env, *args, input_text=None, timeout=180):
    clean = {k: v for k, v in env.items() if not k.startswith("_")}
    return subprocess.run([*GONGJIAN, *args], env=clean, capture_output=True, text=True, timeout=timeout,
                          input=input_text, stdin=None if input_text is not None else subprocess.DEVNULL)


def sql(env, statement: str):
    """Run SQL directly against the installation's database, behind the application's back."""
    clean = {k: v for k, v in env.items() if not k.startswith("_")}
    code = ("import django,os;os.environ['DJANGO_SETTINGS_MODULE']='gongjian.config.settings';django.setup();"
            "from django.db import connection\n"
            f"with connection.cursor() as c: c.execute({statement!r})")
    subprocess.run([sys.executable, "-c", code], env=clean, check=True, timeout=60)


def test_version_and_bilingual_help(home):
    r = run(home, "--version")
    assert r.returncode == 0 and r.stdout.startswith("gongjian ")
    for sub in ([], ["init"], ["demo"], ["serve"], ["audit", "verify"]):
        r = run(home, *sub, "--help")
        assert r.returncode == 0, r.stderr
        text = r.stdout
        assert re.search(r"[\u4e00-\u9fff]", text), f"no Chinese in {sub} --help"
        assert re.search(r"\b(the|data|server|chain|demo|init)\b", text), f"no English in {sub} --help"


def test_init_without_a_password_is_one_clear_line(home):
    r = run(home, "init")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "GONGJIAN_ADMIN_PASSWORD" in r.stderr
    assert "Traceback" not in r.stderr


def test_init_creates_the_admin_from_env_and_is_idempotent(home):
    home = home | {"GONGJIAN_ADMIN_PASSWORD": "Admin-pass-2026"}
    r = run(home, "init")
    assert r.returncode == 0, r.stderr
    assert "已创建管理员账号 admin" in r.stdout
    if not ON_POSTGRES:
        assert (Path(home["_home"]) / "gongjian.sqlite3").exists()
        key = Path(home["_home"]) / "secret_key"
        assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"
    r2 = run(home, "init")
    assert r2.returncode == 0 and "已存在" in r2.stdout
    v = run(home, "audit", "verify")
    assert v.returncode == 0 and "共 1 条" in v.stdout  # one event: the admin's creation


def test_init_demo_twice_changes_nothing_and_verify_catches_tampering(home):
    r = run(home, "init", "--demo")
    assert r.returncode == 0, r.stderr
    assert "已载入演示区" in r.stdout
    first = run(home, "audit", "verify")
    assert first.returncode == 0, first.stderr
    n = int(re.search(r"共 (\d+) 条", first.stdout).group(1))
    assert n > 50

    again = run(home, "init", "--demo")
    assert again.returncode == 0 and "未作改动" in again.stdout
    second = run(home, "audit", "verify")
    assert f"共 {n} 条" in second.stdout  # not one event more

    # Edit a row behind the application's back: verify fails and names it.
    sql(home, "UPDATE core_auditevent SET object_repr = 'tampered' WHERE seq = 7")
    bad = run(home, "audit", "verify")
    assert bad.returncode == 1
    assert "seq=7" in bad.stderr and bad.stderr.count("\n") == 1


def test_verify_names_a_deleted_row(home):
    assert run(home, "init", "--demo").returncode == 0
    sql(home, "DELETE FROM core_auditevent WHERE seq = 12")
    bad = run(home, "audit", "verify")
    assert bad.returncode == 1 and "seq=13" in bad.stderr


def test_serve_refuses_an_uninitialised_home(home):
    r = run(home, "serve", "--port", str(_free_port()))
    assert r.returncode == 2 and "gongjian init" in r.stderr and r.stderr.count("\n") == 1


def test_serve_refuses_debug(home):
    assert run(home | {"GONGJIAN_ADMIN_PASSWORD": "Admin-pass-2026"}, "init").returncode == 0
    r = run(home | {"GONGJIAN_DEBUG": "1"}, "serve", "--port", str(_free_port()))
    assert r.returncode == 2 and "DEBUG" in r.stderr


def test_manage_passthrough(home):
    assert run(home, "init", "--demo").returncode == 0
    r = run(home, "manage", "showmigrations", "org")
    assert r.returncode == 0 and "[X] 0001_initial" in r.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_serves_and_the_demo_logins_work(home):
    """What the README's first command does: a server on a printed address where the logins work."""
    port = _free_port()
    clean = {k: v for k, v in home.items() if not k.startswith("_")}
    proc = subprocess.Popen([*GONGJIAN, "demo", "--port", str(port), "--workers", "1"], env=clean,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            stdin=subprocess.DEVNULL)
    try:
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            lines.append(line)
            if "open:" in line:
                break
        out = "".join(lines)
        assert f"http://127.0.0.1:{port}/" in out, out
        assert "admin" in out and "gongjian-demo" in out and "dfh_jingban" in out
        assert "后台任务进程已启动 / worker started" in out  # reminders and documents need no other command
        # Keep reading the server's output, so its log lines never fill the pipe and block it.
        threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()

        base = f"http://127.0.0.1:{port}"
        for username in ("admin", "bjf_jingban", "wangge"):
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            page = opener.open(f"{base}/login/", timeout=30).read().decode()
            assert "登录" in page
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
            data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username,
                                           "password": "gongjian-demo", "next": "/"}).encode()
            req = urllib.request.Request(f"{base}/login/", data=data, headers={"Referer": f"{base}/login/"})
            home_page = opener.open(req, timeout=30)
            body = home_page.read().decode()
            assert home_page.geturl() == f"{base}/", username
            assert "工作台" in body and "我的信息" in body
            if username == "admin":
                jobs = opener.open(f"{base}/jobs/", timeout=30).read().decode()
                assert "在线 1 个" in jobs and "到期提醒" in jobs
            static = opener.open(f"{base}/static/vendor/htmx-2.0.11/htmx.min.js", timeout=10)
            assert static.status == 200
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
