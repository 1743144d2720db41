"""Navigation a newcomer can trust: links a role cannot use are not shown, the admin finds
the admin site, Swagger UI leads back to the app, the active model's page does not claim no
model is active, the login form keeps the username after a failed attempt, and every page
names a favicon that exists."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from accounts.roles import Role

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_administration_is_not_offered_to_roles_without_admin_rights(make_user, role):
    page = logged_in(make_user(f"u-{role}", role)).get("/").content.decode()
    assert "/admin/" not in page and "Administration" not in page


def test_the_admin_has_admin_in_the_navigation_and_on_the_start_page(make_user):
    admin = make_user("root", Role.ADMIN)
    page = logged_in(admin).get("/").content.decode()
    nav = re.search(r"<nav>(.*?)</nav>", page, re.S).group(1)
    assert '<a href="/admin/" id="nav-admin">Admin</a>' in nav
    assert "Administration" in page
    assert logged_in(admin).get("/admin/").status_code == 200


def test_swagger_ui_has_a_way_back_to_the_app():
    page = Client().get("/api/docs/").content.decode()
    assert '<a href="/" id="back-to-app">' in page


def test_the_active_models_page_does_not_say_no_model_is_active(erin, active_model):
    page = logged_in(erin).get(f"/models/{active_model.version}/").content.decode()
    assert "no model is active" not in page
    assert "This is the active model" in page


def test_the_login_form_keeps_the_username_after_a_failed_attempt(alice):
    page = Client().post("/accounts/login/", {"username": "alice", "password": "wrong"}).content.decode()
    assert "didn't match" in page
    assert re.search(r'<input id="id_username" name="username"[^>]* value="alice"', page)
    assert re.search(r'<input id="id_password"[^>]* autofocus', page)  # straight to the password


def test_every_page_links_a_favicon_that_exists(alice):
    for url in ("/", "/accounts/login/"):
        page = Client().get(url).content.decode()
        href = re.search(r'<link rel="icon" href="/static/([^"]+)"', page).group(1)
        assert finders.find(href), href
