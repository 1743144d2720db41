"""Importing a history uploaded on the models page: the file is kept in the history folder
(settings.VAR_DIR / "history-imports", one folder per upload) only for the import, which
runs in the request, and its rejects file stays beside it for the rejects download.

The uploaded file is removed once imported: the import keeps no personal answers, and a
copy of the file on disk would keep them all. What stays is the rejects file (the rows to
correct, with their reasons, written CSV-safe by history.history_import), which only those
who may train download. A file refused as a whole leaves nothing behind: no rows (the
import writes them in one transaction, after every file-level check) and no folder.
"""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.types import User
from applicants.schema import ApplicationSchema
from modelops.history import HistoryFileError, ImportReport, history_import
from modelops.models import HistoryImport

# The command line's option names in file-level messages, as the upload form calls them.
_OPTION_NAMES = {
    "--label-column": "the label column",
    "--date-column": "the date column",
    "--id-column": "the id column",
    "--columns": "the column mapping",
    "--adverse-value": "the adverse value",
    "--good-value": "the good value",
}


def uploads_root() -> Path:
    return Path(settings.VAR_DIR) / "history-imports"


def _safe_name(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name).strip("._") or "history"
    stem = stem[:80]
    return stem if stem.lower().endswith(".csv") else f"{stem}.csv"


def history_upload_import(
    *, schema: ApplicationSchema, text: str, file_name: str, options: dict[str, Any], imported_by: User
) -> ImportReport:
    """Store the upload, import it (history.history_import with `options`), remove the upload.

    Raises HistoryFileError, in the form's words, when the file as a whole cannot be imported.
    """
    folder = uploads_root() / f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    path = folder / _safe_name(file_name)
    try:
        path.write_text(text, encoding="utf-8")
        report = history_import(
            schema=schema,
            path=path,
            rejects_path=folder / "rejects.csv",
            imported_by=imported_by.get_username(),
            **options,
        )
    except HistoryFileError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        message = str(exc)
        for option, words in _OPTION_NAMES.items():
            message = message.replace(option, words)
        raise HistoryFileError(message) from exc
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    path.unlink()
    if not report.rejected:
        folder.rmdir()
    return report


def rejects_file(record: HistoryImport) -> Path | None:
    """The rejects file of an upload, when it is still there. Only files in the history
    folder are served: a command-line import writes its rejects wherever it was told."""
    if not record.rejects_file:
        return None
    root = uploads_root().resolve()
    path = Path(record.rejects_file).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path
