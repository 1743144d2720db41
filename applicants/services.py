"""Writes about applicants and applications. Every channel ends in application_submit."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import UpdateQuery
from django.utils import timezone

from applicants.crypto import encrypt_json, identity_hash
from applicants.models import Applicant, Application, Status
from applicants.provenance import received_at_once
from applicants.schema import ApplicationSchema, get_schema
from applicants.state import IllegalTransition, check_transition
from applicants.submission_sql import insert_submission
from applicants.validation import validate_answers
from config.db_arrays import in_array
from outbox.models import Topic
from outbox.registry import outbox_wake
from outbox.services import outbox_add
from trail.models import TrailEntry
from trail.services import trail_entry, trail_insert_per_row, trail_record_many

if TYPE_CHECKING:
    from accounts.types import Actor, User

logger = logging.getLogger(__name__)

TRANSITION = "application.transition"


class IdempotencyConflict(Exception):
    """An Idempotency-Key was reused with different answers."""

    def __init__(self, application: Application):
        self.application = application
        super().__init__(
            "This Idempotency-Key was already used for a different application; "
            "use a new key for new answers."
        )


@dataclass(frozen=True)
class Submission:
    application: Application
    created: bool  # False when an Idempotency-Key replayed an earlier submission


def application_submit(
    *,
    answers: Any,
    channel: str,
    actor: Actor = None,
    idempotency_key: str | None = None,
    idempotency_scope: str | None = None,
    applicant_user: Actor = None,
    provenance: dict[str, list[dict[str, Any]]] | None = None,
) -> Submission:
    """Validate, store the application with its scoring request in one transaction, and
    publish the request once the transaction commits.

    `applicant_user` is the account the application belongs to (the applicant applying for
    themselves); staff keying for someone else pass None. The person is found by identity
    for duplicate checks only, never for access.

    The same key from the same client (scope; by default the acting user) returns the
    original application. Raises ApplicationInvalid (per-field errors) or IdempotencyConflict.

    `provenance` is the answers' field provenance (applicants.provenance.for_application, as
    a draft's submission gives it); without it every answer is recorded as captured at once
    by the channel's usual method (the API's: `api`) by the acting account.
    """
    scope = idempotency_scope if idempotency_scope is not None else _default_scope(actor, channel)
    fingerprint = _fingerprint(answers)
    # No look-up of the key first: the unique constraint finds a replay for free, and most
    # requests are not replays (a retried one pays for one rolled-back insert instead).
    schema = get_schema()
    clean = validate_answers(schema, answers)
    try:
        with transaction.atomic():
            application = _create_application(
                schema=schema,
                clean=clean,
                channel=channel,
                actor=actor,
                applicant_user=applicant_user,
                scope=scope,
                idempotency_key=idempotency_key or None,
                fingerprint=fingerprint,
                provenance=provenance,
            )
    except IntegrityError:
        # The key was used before (a retry, or a concurrent twin that won the race): answer
        # with the original application, or refuse if the answers differ.
        replay = _replay(scope, idempotency_key, fingerprint) if idempotency_key else None
        if replay:
            return replay
        raise
    return Submission(application=application, created=True)


def _create_application(
    *,
    schema: ApplicationSchema,
    clean: dict[str, Any],
    channel: str,
    actor: Actor,
    applicant_user: Actor,
    scope: str,
    idempotency_key: str | None,
    fingerprint: str,
    provenance: dict[str, list[dict[str, Any]]] | None = None,
) -> Application:
    if provenance is None:
        provenance = received_at_once(clean, channel=channel, actor=actor)
    pii = {k: v for k, v in clean.items() if k in schema.pii_fields}
    plain = {k: v for k, v in clean.items() if k not in schema.pii_fields}
    # Encrypted once: the applicant's row (when the person is new) and the application's
    # hold the same personal answers.
    pii_token = encrypt_json(pii)
    applicant_id, new_person = _applicant_for(schema, pii, pii_token)
    earlier = None if new_person else _recent_application_of(applicant_id)
    fields = {
        "applicant_id": applicant_id,
        "schema_name": schema.name,
        "schema_hash": schema.source_hash,
        "answers": plain,
        "pii": pii,
        "channel": channel,
        "submitted_by": _account(actor),
        "owner": _account(applicant_user),
        "idempotency_scope": scope,
        "idempotency_key": idempotency_key,
        "request_fingerprint": fingerprint,
        "provenance": provenance,
        "possible_duplicate": earlier is not None,
        "duplicate_of": earlier,
    }
    entry = trail_entry(
        action=TRANSITION,
        object_type="application",
        object_id="",
        actor=fields["submitted_by"],
        after={"status": Status.RECEIVED, "channel": channel},
        note=f"submitted via {channel}",
    )
    if connection.vendor == "postgresql":
        application = Application(**fields)
        # As Model.save() would, for listeners (the phone channel's caller index).
        pre_save.send(
            sender=Application, instance=application, raw=False, using=connection.alias, update_fields=None
        )
        insert_submission(application, entry, topic=Topic.SCORING, prepared={"pii": pii_token})
        post_save.send(
            sender=Application,
            instance=application,
            created=True,
            update_fields=None,
            raw=False,
            using=connection.alias,
        )
    else:
        application = Application.objects.create(**fields)
        entry.object_id = str(application.pk)
        entry.save()
        outbox_add(topic=Topic.SCORING, key=str(application.pk))
    transaction.on_commit(request_scoring)
    return application


def request_scoring() -> None:
    """Wake whoever consumes the scoring topic (the scorer registers in its app config;
    applicants imports no consumer). One queued wake-up however many submissions commit
    meanwhile; if the broker is down the outbox row stays pending and the periodic
    re-drive asks again, so the applicant's submission still stands."""
    outbox_wake(Topic.SCORING)


# On a match only updated_at changes (DO UPDATE so RETURNING gives the id): an identity
# number typed into a form proves nothing about who typed it, so it never rewrites the
# person's stored details nor gives anyone access to them.
_APPLICANT_UPSERT_SQL = """
    INSERT INTO {table} (id, identity_hash, pii, created_at, updated_at)
    VALUES (%s, %s, %s, %s, %s)
    ON CONFLICT (identity_hash) DO UPDATE SET updated_at = excluded.updated_at
    RETURNING id
"""


def _applicant_for(schema: ApplicationSchema, pii: dict[str, Any], pii_token: str) -> tuple[Any, bool]:
    """The id of the person behind these answers, found by the keyed hash of the identity
    field; True when they are new (so they cannot have an earlier application).

    One upsert (PostgreSQL and SQLite alike) instead of get_or_create's four round trips
    (select, savepoint, insert, release), and safe when the same person applies twice at once."""
    identity_value = pii.get(schema.identity_field) if schema.identity_field else None
    if identity_value is None:
        return Applicant.objects.create(pii=pii).pk, True
    new_id, now = uuid.uuid4(), timezone.now()
    values = {
        "id": new_id,
        "identity_hash": identity_hash(str(identity_value)),
        "pii": pii_token,
        "created_at": now,
        "updated_at": now,
    }
    params: list[Any] = [
        value if name == "pii" else _column(name).get_db_prep_save(value, connection)
        for name, value in values.items()
    ]
    table = connection.ops.quote_name(Applicant._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_APPLICANT_UPSERT_SQL.format(table=table), params)
        stored_id = Applicant._meta.pk.to_python(cursor.fetchone()[0])
    return stored_id, stored_id == new_id


def _column(name: str) -> models.Field[Any, Any]:
    field = Applicant._meta.get_field(name)
    assert isinstance(field, models.Field)  # a column, not a reverse relation
    return field


def _recent_application_of(applicant_id: Any) -> Application | None:
    window = dt.timedelta(days=settings.DUPLICATE_WINDOW_DAYS)
    if not window:
        return None
    return (
        Application.objects.filter(applicant_id=applicant_id, created_at__gte=timezone.now() - window)
        .order_by("-created_at")
        .only("id")
        .first()
    )


def _replay(scope: str, key: str, fingerprint: str) -> Submission | None:
    original = Application.objects.filter(idempotency_scope=scope, idempotency_key=key).first()
    if original is None:
        return None
    if original.request_fingerprint != fingerprint:
        raise IdempotencyConflict(original)
    return Submission(application=original, created=False)


def _account(actor: Actor) -> User | None:
    """The saved account acting, or None (an anonymous visitor, a system job's name, nobody)."""
    return cast("User", actor) if getattr(actor, "pk", None) else None


def _default_scope(actor: Actor, channel: str) -> str:
    account = _account(actor)
    return f"user:{account.pk}" if account is not None else f"channel:{channel}"


def _fingerprint(answers: Any) -> str:
    canonical = json.dumps(answers, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- state changes -----------------------------------------------------------------------


def application_transition(
    *,
    application_ids: Iterable[Any] | QuerySet[Application, Any],
    from_status: str,
    to_status: str,
    actor: Actor = None,
    note: str = "",
    only_if: dict[str, Any] | None = None,
    **changes: Any,
) -> list[Any]:
    """Move applications from one state to another with a conditional UPDATE.

    Only rows still in `from_status` (and matching `only_if`) move, so two workers racing
    cannot both move one application; the ids that moved are returned and each move is
    an audit trail entry. Call inside a transaction when the move must land together with other writes.

    `application_ids` may also be a query of ids (`.values("pk")`, sliced, locked with
    SKIP LOCKED: a claim), which PostgreSQL reads in the same statement as the move.
    """
    check_transition(from_status, to_status)
    picked = application_ids if isinstance(application_ids, QuerySet) else None
    ids = [] if picked is not None else list(application_ids)
    if picked is None and not ids:
        return []
    entry = trail_entry(
        action=TRANSITION,
        object_type="application",
        object_id="",
        actor=actor,
        before={"status": from_status},
        after={"status": to_status},
        note=note,
    )
    values = {"status": to_status, "updated_at": timezone.now(), **changes}
    if connection.vendor == "postgresql":
        return _move_in_one_statement(picked, ids, from_status, only_if or {}, values, entry)
    with transaction.atomic():
        if picked is not None:
            ids = [row["pk"] for row in picked]
        moved = list(
            Application.objects.select_for_update()
            .filter(in_array("pk", ids), status=from_status, **(only_if or {}))
            .values_list("pk", flat=True)
        )
        if moved:
            Application.objects.filter(in_array("pk", moved)).update(**values)
            trail_record_many(
                trail_entry(
                    action=entry.action,
                    object_type=entry.object_type,
                    object_id=pk,
                    actor=actor,
                    before=entry.before,
                    after=entry.after,
                    note=note,
                )
                for pk in moved
            )
    return moved


def _move_in_one_statement(
    picked: QuerySet[Application, Any] | None,
    ids: list[Any],
    from_status: str,
    only_if: dict[str, Any],
    values: dict[str, Any],
    entry: TrailEntry,
) -> list[Any]:
    """PostgreSQL: the conditional UPDATE ... RETURNING and the trail entries of what moved,
    in one statement (one round trip, and atomic without a transaction of its own), where
    a lock, an update and an insert each took one, plus a savepoint's two."""
    prefix, params = "", []
    if picked is not None:
        # A WITH query runs once, so a claim's LIMIT ... SKIP LOCKED picks exactly once.
        query = picked.query.clone()
        # Django refuses FOR UPDATE outside a transaction; this statement is one.
        query.select_for_update, lock = False, query.select_for_update
        picked_sql, picked_params = query.get_compiler(picked.db).as_sql()
        if lock:
            picked_sql += " " + connection.ops.for_update_sql(skip_locked=query.select_for_update_skip_locked)
        prefix, params = f"picked(id) AS ({picked_sql}), ", list(picked_params)
        rows = Application.objects.filter(pk__in=RawSQL("SELECT id FROM picked", ()))
    else:
        rows = Application.objects.filter(in_array("pk", ids))
    update = cast(UpdateQuery, rows.filter(status=from_status, **only_if).query.chain(UpdateQuery))
    update.add_update_values(values)
    update_sql, update_params = update.get_compiler(rows.db).as_sql()
    pk = connection.ops.quote_name(cast(str, Application._meta.pk.column))
    trail_sql, trail_params = trail_insert_per_row(entry, rows="moved", object_id_sql=f"moved.{pk}::text")
    statement = (  # compiled by Django and trail_insert_per_row; the values go as parameters
        f"WITH {prefix}moved AS ({update_sql} RETURNING {pk}), "  # noqa: S608
        f"recorded AS ({trail_sql}) SELECT {pk} FROM moved"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, *update_params, *trail_params])
        return [row[0] for row in cursor.fetchall()]


def application_label(
    *,
    application_id: Any,
    to_status: str,
    final_tier: str,
    labelled_at: dt.datetime,
    actor: Actor = None,
    note: str = "",
) -> bool:
    """Record a review's label: the application leaves review for `to_status` (confirmed or
    overridden) with its final tier and when it was labelled, in one conditional move.
    False when it was no longer in review (nothing written). The label is the training
    data of the next model, so it is written here only, never as a generic field update."""
    return bool(
        application_transition(
            application_ids=[application_id],
            from_status=Status.IN_REVIEW,
            to_status=to_status,
            actor=actor,
            note=note,
            final_tier=final_tier,
            labelled_at=labelled_at,
        )
    )


def application_transition_one(
    *, application: Application, to_status: str, actor: Actor = None, note: str = "", **changes: Any
) -> Application:
    """Move one application, refusing an illegal move or one that lost a race."""
    moved = application_transition(
        application_ids=[application.pk],
        from_status=application.status,
        to_status=to_status,
        actor=actor,
        note=note,
        **changes,
    )
    if not moved:
        application.refresh_from_db(fields=["status"])
        raise IllegalTransition(application.status, to_status)
    application.refresh_from_db()
    return application
