"""Issue 12, password guessing: /accounts/login/ and /admin/login/ lock an account, and an address, out after
AXES_FAILURE_LIMIT failures, for a cool-off that restarts with each attempt during it; every failure is logged.
(The API has no password endpoint: tokens are made on the logged-in tokens page and are 256-bit random keys.)"""

import logging
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the cast's password (tests/conftest.py)


def _post(client: Client, path: str, username: str, password: str, address: str = "203.0.113.7"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_an_account_is_locked_out_after_the_failure_limit_even_with_the_right_password(client, operator_olga, path, caplog):
    caplog.set_level(logging.WARNING)
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _post(client, path, operator_olga.username, "guess")
        assert response.status_code == 200  # the form again, saying the login failed
    assert _post(client, path, operator_olga.username, "guess").status_code == 429  # the last allowed failure locks
    locked = _post(client, path, operator_olga.username, PASSWORD)
    assert locked.status_code == 429
    assert 'data-testid="locked-out"' in locked.content.decode()
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME * 3600
    assert "_auth_user_id" not in client.session
    assert any("AXES" in record.getMessage() and operator_olga.username in record.getMessage() for record in caplog.records)


def test_the_lockout_holds_for_the_account_from_another_address(client, mill_alice):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _post(client, "/accounts/login/", mill_alice.username, "guess", address="203.0.113.7")
    assert _post(Client(), "/accounts/login/", mill_alice.username, PASSWORD, address="198.51.100.9").status_code == 429


def test_an_address_guessing_many_accounts_is_locked_out(client, mill_alice, mill_bob):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _post(client, "/accounts/login/", f"someone{attempt}", "guess")
    assert _post(client, "/accounts/login/", mill_bob.username, PASSWORD).status_code == 429
    # Another address is not affected.
    assert _post(Client(), "/accounts/login/", mill_bob.username, PASSWORD, address="198.51.100.9").status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_address_counts(client, settings, mill_alice):
    from axes.models import AccessAttempt

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        # A guesser cannot escape by writing its own X-Forwarded-For: the proxy appends the real address last.
        client.post(
            "/accounts/login/",
            {"username": f"someone{attempt}", "password": "guess"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{attempt}, 203.0.113.7",
        )
    other_client = Client()
    ok = other_client.post(
        "/accounts/login/",
        {"username": mill_alice.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.9",
    )
    assert ok.status_code == 302  # the proxy's own address is not what was locked
    assert AccessAttempt.objects.filter(ip_address="203.0.113.7").exists()


def test_after_the_cool_off_the_right_password_works_and_resets_the_count(client, mill_alice):
    from axes.models import AccessAttempt

    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _post(client, "/accounts/login/", mill_alice.username, "guess")
    assert _post(client, "/accounts/login/", mill_alice.username, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1))
    assert _post(client, "/accounts/login/", mill_alice.username, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username=mill_alice.username).exists()


def test_a_few_mistakes_do_not_lock_anyone_out(client, mill_alice):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        _post(client, "/accounts/login/", mill_alice.username, "typo")
    assert _post(client, "/accounts/login/", mill_alice.username, PASSWORD).status_code == 302
    assert User.objects.get(pk=mill_alice.pk).last_login is not None
