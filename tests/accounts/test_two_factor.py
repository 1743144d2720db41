"""Two-factor authentication for staff (issue 8, defect 5): enrolment with a real TOTP code,
the code asked after the password, and the requirement for auditors, approvers and admins
when OTP_REQUIRED_FOR_STAFF is on (production's default). Codes are computed from the
device's key with django_otp.oath.totp, as an authenticator app would."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.roles import Role
from tests.config.production_env import production_env, production_setting
from tests.conftest import token_client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
RIGHT = "pw-for-tests"


def code_for(device: TOTPDevice, *, drift: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def password_login(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": RIGHT})
    assert response.status_code == 302, response.content
    return client


@pytest.fixture
def required(settings):
    settings.OTP_REQUIRED_FOR_STAFF = True


def test_a_staff_member_enrols_with_the_code_their_app_shows(erin):
    client = password_login("erin")
    page = client.get("/accounts/two-factor/enrol/")
    assert page.status_code == 200 and b"<svg" in page.content
    assert "no-store" in page["Cache-Control"]  # the secret is on this page
    device = TOTPDevice.objects.get(user=erin, confirmed=False)
    shown_key = re.search(rb"Key: <code>([A-Z2-7=]+)</code>", page.content).group(1).decode()
    import base64

    assert base64.b32decode(shown_key) == device.bin_key
    assert client.get("/accounts/two-factor/enrol/").content.count(shown_key.encode()) == 1  # same key
    wrong = client.post(
        "/accounts/two-factor/enrol/", {"code": "000000" if code_for(device) != "000000" else "111111"}
    )
    assert wrong.status_code == 400 and b"does not match" in wrong.content
    device.refresh_from_db()
    device.throttling_failure_timestamp = None  # the app's user waits for the next code
    device.save()
    response = client.post("/accounts/two-factor/enrol/", {"code": code_for(device), "next": "/models/"})
    assert response.status_code == 302 and response["Location"] == "/models/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/models/").status_code == 200  # this session is verified


def test_after_the_password_an_enrolled_account_gives_its_code_before_any_page(erin):
    device = TOTPDevice.objects.create(user=erin, name="app", confirmed=True)
    client = password_login("erin")
    for page in ("/models/", "/", "/admin/"):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith("/accounts/two-factor/?next=")
    assert client.get("/api/v1/applications/").status_code == 403  # a session on the API
    wrong = "000000" if code_for(device) != "000000" else "111111"
    assert client.post("/accounts/two-factor/", {"code": wrong}).status_code == 400
    # Right after a wrong code even the right one is refused: guessing is slowed down.
    assert client.post("/accounts/two-factor/", {"code": code_for(device)}).status_code == 400
    time.sleep(1.1)
    response = client.post("/accounts/two-factor/", {"code": code_for(device), "next": "/models/"})
    assert response.status_code == 302 and response["Location"] == "/models/"
    assert client.get("/models/").status_code == 200
    # The same code cannot be used twice (another session replaying it).
    other = password_login("erin")
    assert other.post("/accounts/two-factor/", {"code": code_for(device)}).status_code == 400


def test_without_the_requirement_staff_without_a_device_log_in_with_the_password(erin, settings):
    assert settings.OTP_REQUIRED_FOR_STAFF is False  # local and test settings
    client = password_login("erin")
    assert client.get("/models/").status_code == 200


def test_when_required_auditors_approvers_and_admins_must_enrol_first(required, make_user):
    for username, role in (
        ("auditor1", Role.AUDITOR),
        ("lead1", Role.AUDITOR_LEAD),
        ("approver1", Role.APPROVER),
        ("admin1", Role.ADMIN),
    ):
        make_user(username, role)
        client = password_login(username)
        for page in ("/", "/review/", "/models/", "/admin/"):
            response = client.get(page)
            assert response.status_code == 302, (username, page)
            assert response["Location"].startswith("/accounts/two-factor/enrol/?next="), username
        assert client.get("/accounts/two-factor/enrol/").status_code == 200


def test_when_required_applicants_agents_and_clerks_are_not_asked(required, alice, carol, make_user):
    make_user("clerk1", Role.CLERK)
    for username in ("alice", "carol", "clerk1"):
        client = password_login(username)
        assert client.get("/").status_code == 200, username


def test_when_required_staff_get_no_api_token_and_their_old_tokens_stop(required, erin, carol):
    old_token = token_client(erin)  # made before the requirement
    response = APIClient().post("/api/v1/auth/token/", {"username": "erin", "password": RIGHT}, format="json")
    assert response.status_code == 403
    assert response.json()["type"].endswith("/second-factor-required")
    assert not Token.objects.filter(user=erin, key=response.json().get("token", "")).exists()
    assert old_token.get("/api/v1/applications/").status_code == 401
    # An agent keys applications in through the API as before.
    agent = APIClient().post("/api/v1/auth/token/", {"username": "carol", "password": RIGHT}, format="json")
    assert agent.status_code == 200
    assert token_client(carol).get("/api/v1/applications/").status_code == 200


def test_only_staff_may_enrol(alice):
    assert Client().get("/accounts/two-factor/enrol/").status_code == 302  # to the login page
    assert password_login("alice").get("/accounts/two-factor/enrol/").status_code == 403


def test_a_verified_admin_reaches_the_admin_site(required, make_user):
    admin = make_user("root", Role.ADMIN)
    device = TOTPDevice.objects.create(user=admin, name="app", confirmed=True)
    client = password_login("root")
    assert client.get("/admin/").status_code == 302
    client.post("/accounts/two-factor/", {"code": code_for(device)})
    assert client.get("/admin/").status_code == 200


def _settings_value(module: str, name: str, **env: str) -> str:
    result = production_setting(name, production_env(DJANGO_SETTINGS_MODULE=module, **env))
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_requires_the_second_factor_by_default_and_local_does_not():
    assert _settings_value("config.settings.production", "OTP_REQUIRED_FOR_STAFF") == "True"
    assert (
        _settings_value(
            "config.settings.production", "OTP_REQUIRED_FOR_STAFF", OTP_REQUIRED_FOR_STAFF="false"
        )
        == "False"
    )
    assert _settings_value("config.settings.local", "OTP_REQUIRED_FOR_STAFF") == "False"


def test_while_the_code_is_due_health_checks_static_files_and_logging_out_stay_open(required, erin):
    client = password_login("erin")
    assert client.get("/models/").status_code == 302
    assert client.get("/healthz").status_code == 200
    assert client.get("/static/css/app.css").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session
