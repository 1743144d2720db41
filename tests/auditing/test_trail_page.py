"""The audit-trail page reads well: each action listed once (not once per entry), before and
after as key: value lists instead of Python dicts, application ids linking to the review
item (or the application's history), and a bad page number a message, not a 500."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from auditing.selectors import trail_actions
from trail.models import TrailEntry

pytestmark = pytest.mark.django_db


def lead_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_each_action_is_listed_once(routed, answers, grace):
    for _ in range(3):
        routed(answers)
    assert TrailEntry.objects.filter(action="application.transition").count() >= 6
    actions = trail_actions()
    assert actions.count("application.transition") == 1 and len(actions) == len(set(actions))
    html = lead_client(grace).get(reverse("auditing:trail")).content.decode()
    listed = re.search(r'<p class="muted" id="trail-actions">(.*?)</p>', html, re.S).group(1)
    assert listed.count("<code>application.transition</code>") == 1


def test_before_and_after_are_key_value_lists_and_ids_link_to_the_item(routed, answers, grace):
    item = routed(answers)
    html = lead_client(grace).get(reverse("auditing:trail")).content.decode()
    assert "{&#x27;" not in html and "{'" not in html  # no dict reprs
    assert '<dl class="pairs"><dt>status</dt><dd>in_review</dd></dl>' in html
    assert f'href="{reverse("auditing:item", kwargs={"item_id": item.pk})}"' in html


def test_a_bad_page_number_is_a_message(grace):
    for before in ("abc", "-1", "99999999999999999999999"):
        response = lead_client(grace).get(reverse("auditing:trail"), {"before": before})
        assert response.status_code == 400, before
        assert "That page of the trail does not exist" in response.content.decode()
