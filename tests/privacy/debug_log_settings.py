"""The test settings with every logger at DEBUG, SQL included: the settings of the worker
process that test_no_pii_in_logs.py scans (its output is the worker's log file)."""

from config.settings.test import *  # noqa: F403

# DEBUG makes Django log every SQL statement with its parameters (django.db.backends).
DEBUG = True
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "DEBUG"},
    "loggers": {"django.db.backends": {"level": "DEBUG"}},
}
