import os

# OpenMP threads (XGBoost's) wait for work by sleeping, not by spinning: on a machine shared by
# the web, the workers and the database, a spinning thread takes the core another process needs,
# and a fit on two threads ran ~7x slower than on one while anything else was busy. It must be
# set before libgomp loads, which is why it sits in the package every entry point imports first.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# The Celery app is imported here so that shared_task binds to it when Django starts.
from config.celery import app as celery_app

__all__ = ("celery_app",)
