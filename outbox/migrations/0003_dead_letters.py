from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('outbox', '0002_topic_free_form'),
    ]

    operations = [
        migrations.AddField(
            model_name='outboxmessage',
            name='dead_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='outboxmessage',
            index=models.Index(condition=models.Q(('status', 'dead')), fields=['topic', 'dead_at'], name='outbox_dead_by_topic'),
        ),
    ]
