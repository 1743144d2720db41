from __future__ import annotations

from typing import Any

from django.db import models

from applicants.crypto import decrypt_json, encrypt_json


class EncryptedJSONField(models.TextField):
    """A JSON value stored as a Fernet token: readable through the ORM, opaque in the database.

    It cannot be filtered on; look people up by the keyed hash instead.
    """

    description = "JSON encrypted at rest"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        return None if value is None else decrypt_json(value)

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> str | None:
        return None if value is None else encrypt_json(value)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            raise TypeError("encrypted fields cannot be searched; use the keyed hash")
        return super().get_lookup(lookup_name)
