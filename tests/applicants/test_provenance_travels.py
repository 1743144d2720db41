"""Field provenance travels with the application: the auditor's item page shows how every
answer was captured (with corrections), a labelled export carries it, and the warehouse
gets one row per answer."""

from __future__ import annotations

import csv
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from applicants.drafts import draft_answer, draft_answer_many, draft_start, draft_submit
from applicants.models import Application, Channel
from applicants.provenance import Capture, Method
from auditing.labels import LabelFilters
from auditing.services.exports import labels_write
from auditing.services.queue import review_item_claim
from auditing.services.reviews import review_record
from sinks.services import sink_drain
from tests.auditing.review_helpers import sent_to_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed_from_draft(alice, answers, active_model, settings):
    """An application made through a draft: typed by alice, income corrected, the loan
    purpose given by speech, then scored and put in the review queue."""
    settings.REVIEW_BLIND_SHARE = 0.0
    typed = Capture.by_user(alice, channel=Channel.WEB)
    draft = draft_start(channel=Channel.WEB, owner_user=alice)
    first = draft_answer_many(
        draft,
        {k: str(v) for k, v in {**answers, "annual_income": 48000, "full_name": "Jane Example"}.items()},
        typed,
    )
    assert all(r.ok for r in first.values())
    draft_answer(draft, "annual_income", "£54,000", typed)
    draft_answer(draft, "full_name", "Jane Q. Example", typed)
    spoken = Capture(channel=Channel.WEB, method=Method.SPEECH, by=f"user:{alice.pk}", confidence=0.71)
    assert draft_answer(draft, "loan_purpose", "home improvement", spoken).ok
    application = draft_submit(draft=draft, actor=alice, applicant_user=alice).application
    return sent_to_review(application.pk)


def test_the_auditor_sees_how_each_answer_was_captured(reviewed_from_draft, dave):
    client = Client()
    client.force_login(dave)
    page = client.get(reverse("auditing:item", args=[reviewed_from_draft.pk])).content.decode()
    section = page[page.index('id="provenance"') : page.index("Possible duplicates")]
    assert "How the answers were captured" in section
    income = section[section.index('data-field="annual_income"') :]
    income = income[: income.index("</tr>")]
    assert "typed by the applicant" in income and ">2: earlier 48000.0" in income
    purpose = section[section.index('data-field="loan_purpose"') :]
    assert "speech (confidence 0.71)" in purpose[: purpose.index("</tr>")]
    name = section[section.index('data-field="full_name"') :]
    name = name[: name.index("</tr>")]
    assert "(personal, not kept)" in name and "Jane Example" not in section


def test_a_labelled_export_carries_the_provenance(reviewed_from_draft, dave, tmp_path):
    item = reviewed_from_draft
    review_item_claim(item_id=item.pk, user=dave)
    review_record(item_id=item.pk, auditor=dave, final_tier=item.model_tier)
    path = tmp_path / "labels.csv"
    labels_write(filters=LabelFilters(), format="csv", path=path)
    [row] = list(csv.DictReader(path.open()))
    assert row["capture_methods"] == "speech:1,typed:19"
    assert row["corrected_fields"] == "annual_income,full_name,loan_purpose"  # answered again
    assert float(row["lowest_confidence"]) == pytest.approx(0.71)
    assert "Jane" not in path.read_text()


def test_the_warehouse_gets_one_provenance_row_per_answer(sinks_on, reviewed_from_draft, answers):
    application_id = str(reviewed_from_draft.application_id)
    assert sink_drain(sink_name="warehouse").delivered >= 1
    rows = {
        r[0]: r[1:]
        for r in sinks_on.warehouse(
            "SELECT field_name, channel_code, method, captured_by, confidence, versions "
            "FROM fact_answer_provenance WHERE application_id = %s",
            [application_id],
        )
    }
    assert set(rows) == set(answers)
    alice_ref = Application.objects.get(pk=application_id).provenance["full_name"][0]["by"]
    assert rows["annual_income"] == ("web", "typed", alice_ref, None, 2)
    assert rows["loan_purpose"] == ("web", "speech", alice_ref, pytest.approx(0.71), 2)
    assert rows["phone"][1:] == ("typed", alice_ref, None, 1)


def test_api_answers_reach_the_warehouse_as_api(sinks_on, active_model, answers):
    from tests.sinks.helpers import scored_applications

    [application_id] = scored_applications(answers, 1, prefix="PRV")
    sink_drain(sink_name="warehouse")
    methods: Any = sinks_on.warehouse(
        "SELECT DISTINCT method, versions FROM fact_answer_provenance WHERE application_id = %s",
        [application_id],
    )
    assert methods == [("api", 1)]
