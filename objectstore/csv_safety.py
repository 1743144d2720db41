"""CSV files people open in a spreadsheet: text never runs as a formula.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets (`=HYPERLINK(...)` in an applicant's answer becomes a link that
leaks or misleads). Following OWASP's CSV injection guidance, such text cells get a leading
`'`, which the spreadsheet shows as text. Numbers stay numbers: an int or float is written
as is, and so is text that is just a number (`-12.5`, `+3e4`), which a spreadsheet reads as
that number and never as a formula.

Every CSV writer in the platform goes through `csv_writer` or `csv_dict_writer`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def csv_safe(value: Any) -> Any:
    """The cell as a spreadsheet may safely read it (text that would run gets a `'`)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeCsvWriter:
    """csv.writer's interface; every cell passes through csv_safe."""

    def __init__(self, writer: Any):
        self._writer = writer
        self.dialect = writer.dialect

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([csv_safe(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(handle: IO[str], **options: Any) -> SafeCsvWriter:
    return SafeCsvWriter(csv.writer(handle, **options))


def csv_dict_writer(handle: IO[str], fieldnames: Sequence[str], **options: Any) -> csv.DictWriter:
    writer = csv.DictWriter(handle, fieldnames, **options)
    # DictWriter writes every row through it. The stubs type the attribute as the C writer;
    # the wrapper has the same writerow/writerows.
    writer.writer = SafeCsvWriter(writer.writer)  # type: ignore[assignment]
    return writer
