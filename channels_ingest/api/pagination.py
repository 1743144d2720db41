"""Page-number pagination with a page that is one positive integer, as the schema says.

DRF's own takes the last of repeated `page` values and also accepts "last"; here
`?page=1&page=2`, `?page=abc` and `?page=0` are 400, and a page past the end is 404.
"""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from channels_ingest.api.exceptions import ProblemException

MAX_PAGE = 1_000_000


class SinglePagePagination(PageNumberPagination):
    last_page_strings = ()
    page_query_description = (
        "A page number (1, 2, ...), at most once. A repeated or non-numeric page is 400; "
        "a page past the last is 404."
    )

    def get_page_number(self, request: Request, paginator: Any) -> int:
        values = request.query_params.getlist(self.page_query_param)
        if not values:
            return 1
        if (
            len(values) > 1
            or not values[0].isascii()
            or not values[0].isdigit()
            or not 1 <= int(values[0]) <= MAX_PAGE
        ):
            raise ProblemException(
                status_code=400,
                slug="invalid-page",
                title="Invalid page",
                detail=f"`{self.page_query_param}` must be given once, as a whole number from 1 "
                f"to {MAX_PAGE}.",
            )
        return int(values[0])

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}
                parameter["style"] = "form"
                parameter["explode"] = False
        return parameters
