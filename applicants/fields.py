from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from applicants.crypto import decrypt_json, encrypt_json

if TYPE_CHECKING:
    # In the stubs a field is generic in the value it is set to and the value read back (Django's
    # own classes take no type arguments): any JSON value here, as for models.JSONField.
    _JSONText = models.TextField[Any, Any]
else:
    _JSONText = models.TextField


class EncryptedJSONField(_JSONText):
    """A JSON value stored as a Fernet token: readable through the ORM, opaque in the database.

    It cannot be filtered on; look people up by the keyed hash instead.
    """

    description = "JSON encrypted at rest"
    # What django-stubs' plug-in reads for the type of the model attribute (it replaces Any
    # type arguments with these): any JSON value, not TextField's str.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

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
