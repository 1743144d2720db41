import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("riskscore")
# Every CELERY_* Django setting configures Celery; JSON only, acks late (see base.py).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
