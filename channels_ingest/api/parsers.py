"""Request parsers that refuse what would be costly or dangerous to parse, before parsing.

Python's JSON parser recurses once per nested array or object, so a body nested a thousand
deep ends in a RecursionError (a 500, and under DEBUG a traceback). These parsers read at
most DATA_UPLOAD_MAX_MEMORY_SIZE bytes (413 past it) and measure the nesting depth with a
flat scan (400 past API_JSON_MAX_DEPTH) before the real parser sees the body.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework.parsers import FormParser, JSONParser

from channels_ingest.api.exceptions import ProblemException

# A JSON string, escapes included (the unrolled-loop form: linear, no backtracking).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_OPENING = frozenset(b"[{")


def json_nesting_depth(raw: bytes, *, give_up_past: int) -> int:
    """The deepest nesting of arrays and objects in `raw`, counting only brackets outside
    strings; stops counting once past `give_up_past`."""
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", raw))
    depth = deepest = 0
    for byte in brackets:
        depth += 1 if byte in _OPENING else -1
        if depth > deepest:
            deepest = depth
            if deepest > give_up_past:
                break
    return deepest


def read_bounded(stream: Any) -> bytes:
    """The whole body, or 413 once it passes DATA_UPLOAD_MAX_MEMORY_SIZE (never read further)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    raw = stream.read(limit + 1) if stream is not None else b""
    if len(raw) > limit:
        raise ProblemException(
            status_code=413,
            slug="request-too-large",
            title="Request too large",
            detail=f"The request body is larger than {limit} bytes.",
            limit_bytes=limit,
        )
    return raw


class BoundedJSONParser(JSONParser):
    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        raw = read_bounded(stream)
        limit = settings.API_JSON_MAX_DEPTH
        if json_nesting_depth(raw, give_up_past=limit) > limit:
            raise ProblemException(
                status_code=400,
                slug="json-too-deep",
                title="JSON nested too deeply",
                detail=f"The JSON body nests arrays and objects more than {limit} levels deep.",
                max_depth=limit,
            )
        return super().parse(io.BytesIO(raw), media_type, parser_context)


class BoundedFormParser(FormParser):
    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        return super().parse(io.BytesIO(read_bounded(stream)), media_type, parser_context)
