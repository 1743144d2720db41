from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name='DrainRequest',
            fields=[
                ('sink', models.CharField(max_length=40, primary_key=True, serialize=False)),
                ('asked_at', models.DateTimeField(blank=True, null=True)),
            ],
        ),
    ]
