
import django.db.models.deletion
from django.db import migrations, models


MOVED = ["historicalapplication", "historyimport", "modeldeployment", "modelstatuschange",
         "rescorechunk", "rescorerun", "trainingrun"]


def content_types_follow(apps, schema_editor):
    """Keep admin permissions and generic links: the moved models' content types change app."""
    content_type = apps.get_model("contenttypes", "ContentType")
    taken = set(content_type.objects.filter(app_label="modelops").values_list("model", flat=True))
    content_type.objects.filter(app_label="scoring", model__in=[m for m in MOVED if m not in taken]
                                ).update(app_label="modelops")


def content_types_return(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="modelops", model__in=MOVED).update(app_label="scoring")


class Migration(migrations.Migration):
    """The model lifecycle's models leave scoring's state for modelops (modelops 0001): no table
    is renamed, no row moves. Decision.rescore_run now names modelops.RescoreRun, same table."""

    dependencies = [
        ('modelops', '0001_initial'),
        ('scoring', '0003_rescore_transform'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='modeldeployment',
                    name='model_version',
                ),
                migrations.RemoveField(
                    model_name='modelstatuschange',
                    name='actor',
                ),
                migrations.RemoveField(
                    model_name='modelstatuschange',
                    name='model_version',
                ),
                migrations.RemoveField(
                    model_name='rescorechunk',
                    name='run',
                ),
                migrations.RemoveField(
                    model_name='rescorerun',
                    name='model_version',
                ),
                migrations.RemoveField(
                    model_name='rescorerun',
                    name='started_by',
                ),
                migrations.AlterField(
                    model_name='decision',
                    name='rescore_run',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='decisions', to='modelops.rescorerun'),
                ),
                migrations.RemoveField(
                    model_name='trainingrun',
                    name='model_version',
                ),
                migrations.RemoveField(
                    model_name='trainingrun',
                    name='requested_by',
                ),
                migrations.DeleteModel(
                    name='HistoricalApplication',
                ),
                migrations.DeleteModel(
                    name='HistoryImport',
                ),
                migrations.DeleteModel(
                    name='ModelDeployment',
                ),
                migrations.DeleteModel(
                    name='ModelStatusChange',
                ),
                migrations.DeleteModel(
                    name='RescoreChunk',
                ),
                migrations.DeleteModel(
                    name='RescoreRun',
                ),
                migrations.DeleteModel(
                    name='TrainingRun',
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_return),
    ]
