"""Sign-in throttling, the Content-Security-Policy, and no demo data in production."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def sign_in(client, password, username="agent", address="10.0.0.1"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_wrong_passwords_lock_the_account_out_even_with_the_right_one(client, agent, settings):
    # Given an agent, and someone guessing its password
    agent.user.set_password("the-right-one")
    agent.user.save()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(client, "guess")
        assert response.status_code == 200  # the form again, with its error
    assert sign_in(client, "guess").status_code == 429  # the limit-th locks
    # When the right password comes after the limit
    response = sign_in(client, "the-right-one")
    # Then sign-in is refused with the lockout page (not a 500, not a session)
    assert response.status_code == 429
    assert b"Sign-in paused" in response.content
    assert "_auth_user_id" not in client.session


def test_the_lockout_also_holds_per_address(client, agent, supervisor, settings):
    # Failures spread over accounts from one address lock that address
    for i in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "guess", username=f"nobody-{i}", address="10.9.9.9")
    agent.user.set_password("the-right-one")
    agent.user.save()
    assert sign_in(client, "the-right-one", address="10.9.9.9").status_code == 429
    # ... but not the account from elsewhere
    assert sign_in(client, "the-right-one", address="10.1.1.1").status_code == 302


def test_pages_carry_a_content_security_policy_without_inline_script(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "cdn" not in policy.lower()
    assert b"<script>" not in response.content
    assert b"<style" not in response.content


def test_api_docs_load_their_script_from_a_file(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"<script>" not in response.content.replace(b" ", b"")


def test_seed_demo_refuses_production_settings(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")


def test_production_settings_turn_demo_data_off():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "rescind.example.com",
        "DATABASE_URL": "sqlite:////tmp/rescind-production-check.sqlite3",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "does not run under production settings" in result.stderr
