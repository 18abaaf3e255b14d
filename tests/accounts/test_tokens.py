"""API tokens: the page where a user makes and revokes their own, and the management command."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_tokens_page_needs_a_login(client):
    response = client.get("/accounts/tokens/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_page_logs_in_and_logout_logs_out(client, mill_alice):
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": "mill_alice", "password": "correct horse battery staple"})
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/dashboard/").status_code == 302


def test_login_with_a_wrong_password_says_so(client, mill_alice):
    response = client.post("/accounts/login/", {"username": "mill_alice", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_created_key_is_shown_once_and_works(mill_alice, client_for):
    client = logged_in(mill_alice)
    response = client.post("/accounts/tokens/", {"name": "ERP export"})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    key = re.search(r'<code id="new-token">(epd_[^<]+)</code>', response.content.decode()).group(1)
    token = ApiToken.objects.get(user=mill_alice)
    assert (token.name, token.prefix) == ("ERP export", key[:12])
    assert key not in client.get("/accounts/tokens/").content.decode()
    api = client_for()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/declarations/").status_code == 200


def test_tokens_page_lists_only_own_tokens(mill_alice, mill_bob):
    ApiToken.issue(mill_alice, "alice's CI")
    ApiToken.issue(mill_bob, "bob's CI")
    html = logged_in(mill_alice).get("/accounts/tokens/").content.decode()
    assert "alice&#x27;s CI" in html
    assert "bob" not in html


def test_token_needs_a_name(mill_alice):
    response = logged_in(mill_alice).post("/accounts/tokens/", {"name": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoke_own_token(mill_alice, client_for):
    token, key = ApiToken.issue(mill_alice, "CI")
    response = logged_in(mill_alice).post(f"/accounts/tokens/{token.pk}/revoke/", follow=True)
    assert "Token “CI” revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    api = client_for()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/declarations/").status_code == 401


def test_revoking_another_users_token_is_404(mill_alice, mill_bob):
    token, _key = ApiToken.issue(mill_bob, "CI")
    client = logged_in(mill_alice)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert client.get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("role", ["verifier_vera", "operator_olga"])
def test_any_logged_in_user_may_have_tokens(request, role):
    user = request.getfixturevalue(role)
    assert logged_in(user).post("/accounts/tokens/", {"name": "script"}).status_code == 200
    assert ApiToken.objects.filter(user=user).count() == 1


def test_command_prints_a_working_key(mill_alice):
    out = StringIO()
    call_command("create_api_token", "mill_alice", "--name", "ci", stdout=out)
    key = out.getvalue().strip()
    token = ApiToken.find_active(key)
    assert token is not None
    assert (token.user, token.name) == (mill_alice, "ci")


def test_command_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("create_api_token", "nobody", stdout=StringIO())
