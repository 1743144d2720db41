from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from accounts.services import DEMO_USERS
from applicants.models import Application

pytestmark = pytest.mark.django_db


def test_demo_users_and_applications_are_only_made_with_debug_on(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only created when DEBUG is on"):
        call_command("seed_demo")
    with pytest.raises(CommandError, match="only created when DEBUG is on"):
        call_command("demo_applications")


def test_demo_data_has_one_user_per_role_and_applications_from_several_channels(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(username__in=DEMO_USERS)
    assert users.count() == len(DEMO_USERS)
    assert users.get(username="auditor").check_password(settings.DEMO_PASSWORD)
    call_command("demo_applications", count=9, if_empty=True)
    call_command("demo_applications", count=9, if_empty=True)  # a second start adds nothing
    assert Application.objects.count() == 9
    assert set(Application.objects.values_list("channel", flat=True)) == {"api", "phone_agent", "mail"}


def test_a_demo_installation_gets_a_first_model_trained_on_synthetic_applicants(capsys):
    from scoring.models import ModelStatus, ModelVersion

    with pytest.raises(CommandError, match="at least 200 rows"):
        call_command("train_demo_model", "50")
    call_command("train_demo_model", "400", "--bootstrap", "--if-no-active-model")
    model = ModelVersion.objects.get()
    assert model.status == ModelStatus.ACTIVE and model.training_source.startswith("synthetic:")
    call_command("train_demo_model", "400", "--bootstrap", "--if-no-active-model")
    assert ModelVersion.objects.count() == 1  # a second `make run` trains nothing
    assert "nothing to train" in capsys.readouterr().out
