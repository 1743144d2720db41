
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """The model lifecycle's tables move here from `scoring` by state only: they keep their
    scoring_* names and their rows (scoring 0004 drops them from scoring's state)."""

    initial = True

    dependencies = [
        ('scoring', '0003_rescore_transform'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='HistoryImport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('file_name', models.CharField(max_length=500)),
                        ('schema_name', models.CharField(max_length=63)),
                        ('label_column', models.CharField(max_length=100)),
                        ('label_kind', models.CharField(choices=[('tiers', 'Tiers (low / medium / high)'), ('binary', 'Binary outcome (adverse or not)')], max_length=8)),
                        ('adverse_value', models.CharField(blank=True, default='', max_length=100)),
                        ('rows_read', models.PositiveIntegerField(default=0)),
                        ('rows_imported', models.PositiveIntegerField(default=0)),
                        ('rows_already_imported', models.PositiveIntegerField(default=0)),
                        ('rows_rejected', models.PositiveIntegerField(default=0)),
                        ('rejects_file', models.CharField(blank=True, default='', max_length=500)),
                        ('imported_by', models.CharField(blank=True, default='', max_length=150)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        'db_table': 'scoring_historyimport',
                    },
                ),
                migrations.CreateModel(
                    name='ModelDeployment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('endpoint_name', models.CharField(max_length=63)),
                        ('endpoint_config_name', models.CharField(max_length=63)),
                        ('sagemaker_model_name', models.CharField(max_length=63)),
                        ('variant_name', models.CharField(max_length=63)),
                        ('model_data_url', models.CharField(max_length=500)),
                        ('instance_type', models.CharField(max_length=40)),
                        ('action', models.CharField(max_length=10)),
                        ('deployed_by', models.CharField(blank=True, default='', max_length=150)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('model_version', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deployments', to='scoring.modelversion')),
                    ],
                    options={
                        'db_table': 'scoring_modeldeployment',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='ModelStatusChange',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('from_status', models.CharField(blank=True, choices=[('candidate', 'Candidate'), ('approved', 'Approved'), ('active', 'Active'), ('retired', 'Retired')], max_length=12)),
                        ('to_status', models.CharField(choices=[('candidate', 'Candidate'), ('approved', 'Approved'), ('active', 'Active'), ('retired', 'Retired')], max_length=12)),
                        ('note', models.TextField(blank=True, default='')),
                        ('at', models.DateTimeField(auto_now_add=True)),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('model_version', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='status_history', to='scoring.modelversion')),
                    ],
                    options={
                        'db_table': 'scoring_modelstatuschange',
                        'ordering': ['at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='RescoreRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('filters', models.JSONField(default=dict)),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('running', 'Running'), ('finished', 'Finished'), ('failed', 'Failed')], default='pending', max_length=10)),
                        ('explanation_method', models.CharField(default='exact', max_length=12)),
                        ('mode', models.CharField(choices=[('celery', 'Celery chunks'), ('transform', 'SageMaker batch transform')], default='celery', max_length=10)),
                        ('transform_job', models.CharField(blank=True, default='', max_length=63)),
                        ('transform_prefix', models.CharField(blank=True, default='', max_length=500)),
                        ('chunk_size', models.PositiveIntegerField(default=5000)),
                        ('total', models.PositiveIntegerField(default=0)),
                        ('processed', models.PositiveIntegerField(default=0)),
                        ('changed', models.PositiveIntegerField(default=0)),
                        ('routed_to_review', models.PositiveIntegerField(default=0)),
                        ('error', models.TextField(blank=True, default='')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('model_version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scoring.modelversion')),
                        ('started_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'scoring_rescorerun',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='TrainingRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('running', 'Running'), ('finished', 'Finished'), ('failed', 'Failed')], default='pending', max_length=10)),
                        ('stage', models.CharField(blank=True, default='', max_length=200)),
                        ('done', models.PositiveIntegerField(default=0)),
                        ('total', models.PositiveIntegerField(default=0)),
                        ('error', models.TextField(blank=True, default='')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('model_version', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='scoring.modelversion')),
                        ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'scoring_trainingrun',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalApplication',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('schema_name', models.CharField(max_length=63)),
                        ('row_key', models.CharField(max_length=64)),
                        ('answers', models.JSONField()),
                        ('label_kind', models.CharField(choices=[('tiers', 'Tiers (low / medium / high)'), ('binary', 'Binary outcome (adverse or not)')], max_length=8)),
                        ('tier', models.CharField(blank=True, choices=[('low', 'Low'), ('medium', 'Medium'), ('high', 'High')], default='', max_length=8)),
                        ('adverse', models.BooleanField(blank=True, null=True)),
                        ('outcome', models.CharField(blank=True, default='', max_length=100)),
                        ('occurred_at', models.DateTimeField(db_index=True)),
                        ('history_import', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='rows', to='modelops.historyimport')),
                    ],
                    options={
                        'db_table': 'scoring_historicalapplication',
                        'constraints': [models.UniqueConstraint(fields=('schema_name', 'row_key'), name='history_row_once')],
                    },
                ),
                migrations.CreateModel(
                    name='RescoreChunk',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('seq', models.PositiveIntegerField()),
                        ('first_id', models.UUIDField()),
                        ('last_id', models.UUIDField()),
                        ('size', models.PositiveIntegerField()),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('running', 'Running'), ('finished', 'Finished'), ('failed', 'Failed')], default='pending', max_length=10)),
                        ('claimed_at', models.DateTimeField(blank=True, null=True)),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('changed', models.PositiveIntegerField(default=0)),
                        ('error', models.TextField(blank=True, default='')),
                        ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='chunks', to='modelops.rescorerun')),
                    ],
                    options={
                        'db_table': 'scoring_rescorechunk',
                        'ordering': ['run', 'seq'],
                        'constraints': [models.UniqueConstraint(fields=('run', 'seq'), name='one_chunk_per_seq')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
