"""A schema's sections may be named like the form's own pages (`review`, `answers`, `steps`):
steps live under a prefix of their own, and the draft records the review page with a marker
no section can have, so neither shadows the other."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from applicants.models import Application, Draft
from applicants.schema import get_schema
from channels_ingest.webform import presenters
from tests.channels_ingest.webform.test_pages import logged_in

pytestmark = pytest.mark.django_db

CLASHING = {
    "name": "clashing_names",
    "title": "Clashing names",
    "sections": [
        {"name": "review", "title": "Review of your needs"},
        {"name": "answers", "title": "Your answers"},
        {"name": "steps", "title": "Next steps"},
    ],
    "fields": [
        {
            "name": "amount",
            "type": "integer",
            "required": True,
            "min": 1,
            "feature": True,
            "section": "review",
        },
        {"name": "note", "type": "string", "section": "answers"},
        {"name": "when", "type": "choice", "choices": ["soon", "later"], "section": "steps"},
        {"name": "agree", "type": "boolean", "must_be_true": True, "required": True, "section": "consent"},
    ],
}


@pytest.fixture
def clashing(settings, tmp_path: Path):
    path = tmp_path / "clashing.yaml"
    path.write_text(yaml.safe_dump(CLASHING))
    settings.APPLICATION_SCHEMA = path
    return get_schema()


def test_sections_named_like_the_forms_pages_work_as_steps(clashing, alice):
    assert [s.name for s in presenters.steps(clashing)] == ["review", "answers", "steps"]
    client = logged_in(alice)
    started = client.post("/apply/new/")
    draft = Draft.objects.get()
    base = f"/apply/drafts/{draft.pk}"
    assert started["Location"] == f"{base}/steps/review/"

    page = client.get(f"{base}/steps/review/").content.decode()
    assert "<h1>Review of your needs</h1>" in page and 'name="amount"' in page
    assert "Check your answers before sending" not in page
    refused = client.post(f"{base}/steps/review/", {"amount": "0", "action": "next"})
    assert refused.status_code == 200 and "must be at least 1" in refused.content.decode()

    # Saved mid-way on the step named `review`, resuming opens that step, not the review page.
    client.post(f"{base}/steps/review/", {"amount": "5", "action": "save"})
    assert client.get(f"{base}/")["Location"] == f"{base}/steps/review/"

    assert client.post(f"{base}/steps/review/", {"amount": "5"})["Location"] == f"{base}/steps/answers/"
    assert "<h1>Your answers</h1>" in client.get(f"{base}/steps/answers/").content.decode()
    assert client.post(f"{base}/steps/answers/", {"note": "hello"})["Location"] == f"{base}/steps/steps/"
    # The htmx check of a field named like a page still reaches the one-field service.
    checked = client.post(f"{base}/answers/note/", {"note": "hello again"}, HTTP_HX_REQUEST="true")
    assert checked.status_code == 200 and Draft.objects.get().answers["note"] == "hello again"
    assert client.post(f"{base}/steps/steps/", {"when": "soon"})["Location"] == f"{base}/review/"

    # Past the last step the owner is on the review page, which resuming opens.
    assert Draft.objects.get().current_section == presenters.REVIEW
    assert client.get(f"{base}/")["Location"] == f"{base}/review/"
    review = client.get(f"{base}/review/").content.decode()
    assert "Check your answers before sending" in review
    assert f'href="{base}/steps/review/?return=review"' in review
    assert (
        client.post(f"{base}/steps/review/", {"amount": "7", "return": "review"})["Location"]
        == f"{base}/review/"
    )

    sent = client.post(f"{base}/review/", {"agree": "yes"})
    application = Application.objects.get()
    assert sent["Location"] == f"/apply/applications/{application.pk}/"
    assert application.answers == {"amount": 7, "note": "hello again", "when": "soon", "agree": True}
