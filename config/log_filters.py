"""Logging filters named in LOGGING (config/settings/base.py)."""

from __future__ import annotations

import logging


class ExpectedClientErrorsWithoutTraceback(logging.Filter):
    """An expected 4xx (a 403 for a role that may not open a page, a 404 for a wrong id) is
    one line in the log. Django's django.request logger passes the exception as exc_info,
    which printed a full traceback for every ordinary 403; 5xx keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= int(status) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
