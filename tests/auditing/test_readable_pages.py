"""Staff pages show values people read: the review item's answers and reasons and the
queue's amounts and channels, not codes, raw ratios or True."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_review_item_and_queue_read_as_words(routed, answers, grace):
    item = routed(answers)
    client = Client()
    client.force_login(grace)
    page = client.get(reverse("auditing:item", args=[item.pk])).content.decode()
    answers_table = re.search(r'<table class="answers">(.*?)</table>', page, re.S).group(1)
    assert "Employed full-time" in answers_table and "employed_full_time" not in answers_table
    assert "Home improvement" in answers_table and "£54,000" in answers_table
    assert re.search(r'data-field="consent">Yes<', answers_table)
    assert ">True<" not in answers_table
    reasons = re.search(r'<table class="reasons">(.*?)</table>', page, re.S).group(1)
    assert not re.search(r"<td>0\.\d{4,}</td>", reasons)  # ratios are percentages
    queue = client.get(reverse("auditing:queue")).content.decode()
    assert '<td data-label="Amount">£' in queue and '<td data-label="Channel">Mobile / REST API</td>' in queue
