"""Ownership moves from the person record (found by an identity number anyone can type) to
the application (the account that submitted it for themselves)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def owner_is_the_self_service_submitter(apps, schema_editor):
    # Until now only the API let applicants apply for themselves; staff channels keyed for others.
    Application = apps.get_model("applicants", "Application")
    Application.objects.filter(channel="api", submitted_by__isnull=False).update(
        owner=models.F("submitted_by"))


class Migration(migrations.Migration):

    dependencies = [
        ("applicants", "0002_labels_move_history_to_trail"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="owner",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="owned_applications", to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(owner_is_the_self_service_submitter, migrations.RunPython.noop),
        migrations.RemoveField(model_name="applicant", name="user"),
    ]
