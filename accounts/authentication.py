"""DRF token authentication that honours the two-factor requirement (docs/accounts.md).

Kept apart from the token view (channels_ingest/api/token.py): DRF imports authentication
classes while it loads its views.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from accounts.access import can_use_api_token, remember_roles

if TYPE_CHECKING:
    from rest_framework.authtoken.models import Token

SECOND_FACTOR_DETAIL = (
    "This account must use two-factor authentication, so it cannot use API tokens; use the web pages."
)


class SecondFactorAwareTokenAuthentication(TokenAuthentication):
    """Tokens of accounts that must use a second factor stop working while it is required
    (a token made before the requirement, or before the account got such a role)."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        database = router.db_for_read(self.get_model())
        if connections[database].vendor == "postgresql":
            user, token = _token_with_user_and_roles(key, database)
        else:  # other databases convert some column values in Python: DRF's ORM query
            user, token = super().authenticate_credentials(key)
        if not can_use_api_token(user):
            raise exceptions.AuthenticationFailed(SECOND_FACTOR_DETAIL)
        return user, token


def _token_with_user_and_roles(key: str, database: str) -> tuple[Any, Token]:
    """DRF's look-up (token and user, the same two refusals) with the user's group names in
    the same query, memoised as the request's roles (accounts.access.remember_roles): one
    round trip and no ORM query building where DRF's query and the first access check took
    two (building those two queries was about a quarter of a submission's CPU, #16)."""
    from rest_framework.authtoken.models import Token

    sql, user_fields = _token_query(database)
    with connections[database].cursor() as cursor:
        cursor.execute(sql, [key])
        rows = cursor.fetchall()
    if not rows:
        raise exceptions.AuthenticationFailed(_("Invalid token."))
    first = rows[0]
    # PostgreSQL's values are the ORM's values for these columns (no converters apply).
    user = get_user_model().from_db(database, user_fields, first[: len(user_fields)])
    if not user.is_active:
        raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
    token = Token.from_db(database, ["key", "user_id", "created"], [key, user.pk, first[-2]])
    token.user = user
    remember_roles(user, (row[-1] for row in rows if row[-1] is not None))
    return user, token


@functools.cache
def _token_query(database: str) -> tuple[str, list[str]]:
    """The user's columns, the token's creation time and one group name per row (a row with
    no name when the user has no group). Names come from the models' metadata."""
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    quote = connections[database].ops.quote_name
    user: Any = get_user_model()._meta  # (the stubs allow a column-less field; these all have one)
    membership = user.get_field("groups").remote_field.through._meta

    def table(meta: Any, alias: str) -> str:
        return f"{quote(meta.db_table)} {alias}"

    def column(alias: str, meta: Any, name: str) -> str:
        return f"{alias}.{quote(meta.get_field(name).column)}"

    user_id = f"u.{quote(user.pk.column)}"
    selected = [f"u.{quote(field.column)}" for field in user.concrete_fields]
    selected += [column("t", Token._meta, "created"), column("g", Group._meta, "name")]
    # Table and column names from the models; the key goes as a parameter.
    sql = (
        f"SELECT {', '.join(selected)} FROM {table(Token._meta, 't')} "  # noqa: S608
        f"JOIN {table(user, 'u')} ON {user_id} = {column('t', Token._meta, 'user')} "
        f"LEFT JOIN {table(membership, 'm')} ON {column('m', membership, 'user')} = {user_id} "
        f"LEFT JOIN {table(Group._meta, 'g')} ON {column('g', Group._meta, 'id')} = "
        f"{column('m', membership, 'group')} "
        f"WHERE {column('t', Token._meta, 'key')} = %s"
    )
    return sql, [field.attname for field in user.concrete_fields]
