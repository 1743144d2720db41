"""Branded error pages: 400, 403, 404 and 500 inside the app's layout with the reason and a
way back (the JSON API keeps problem+json), and an expected 403 or 404 logged as one line,
not a traceback (a 500 keeps its traceback)."""

from __future__ import annotations

import logging

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_403_is_a_page_in_the_layout_with_the_reason_and_a_way_back(alice):
    response = logged_in(alice).get("/models/", HTTP_REFERER="http://testserver/apply/")
    assert response.status_code == 403 and response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert '<header class="top">' in page  # the app's layout
    assert "You cannot open this page" in page
    assert "The model registry is for approvers, analysts and administrators." in page  # the reason
    assert 'href="/"' in page and 'id="home-link"' in page
    assert 'href="http://testserver/apply/" id="back-link"' in page
    assert "Log in as someone else" in page


def test_a_foreign_referer_is_not_offered_as_the_way_back(alice):
    page = logged_in(alice).get("/models/", HTTP_REFERER="https://evil.example/").content.decode()
    assert "evil.example" not in page and 'id="home-link"' in page


def test_a_404_is_a_page_in_the_layout_with_a_way_back(alice):
    response = logged_in(alice).get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert '<header class="top">' in page and "Nothing here" in page and 'id="home-link"' in page


def test_a_400_is_a_page_with_a_way_back():
    response = Client().get("/", HTTP_HOST="bad host name")
    assert response.status_code == 400
    page = response.content.decode()
    assert "This request could not be read" in page and 'id="home-link"' in page


@override_settings(ROOT_URLCONF="tests.config.failing_pages_urls")
def test_a_500_is_a_page_in_the_layout_without_details():
    response = Client(raise_request_exception=False).get("/test-failure/page/")
    assert response.status_code == 500
    page = response.content.decode()
    assert '<header class="top">' in page and "Something went wrong on our side" in page
    assert "a bug in a page" not in page and 'id="home-link"' in page


def test_the_api_keeps_problem_json(alice):
    response = logged_in(alice).get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"


def test_an_expected_403_and_404_log_one_line_and_no_traceback(alice, caplog):
    client = logged_in(alice)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/models/").status_code == 403
        assert client.get("/no-such-page/").status_code == 404
    records = [r for r in caplog.records if r.name == "django.request"]
    assert [r.status_code for r in records] == [403, 404]
    assert all(r.exc_info is None and r.exc_text is None for r in records)
    assert "Traceback" not in caplog.text


@override_settings(ROOT_URLCONF="tests.config.failing_pages_urls")
def test_a_500_keeps_its_traceback_in_the_log(caplog):
    with caplog.at_level(logging.ERROR, logger="django.request"):
        Client(raise_request_exception=False).get("/test-failure/page/")
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.status_code == 500 and record.exc_info is not None
