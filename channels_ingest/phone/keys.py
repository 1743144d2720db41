"""Finding encrypted people without decrypting them: keyed hashes of normalised values.

Every answer of a person is encrypted, so a search cannot read names or phone numbers. When
an application or a draft is saved, its phone numbers (last PHONE_MATCH_DIGITS digits), the
words of its name fields (lower case, accents dropped) and its identity number are hashed
with PII_HASH_KEY (HMAC-SHA256, one purpose per kind so a name word never matches a phone
number) and kept in CallerKey. A search hashes what the agent typed the same way and looks
the hashes up by index. The trade-off: exact words only (no prefixes or typos), and whoever
holds PII_HASH_KEY and the table can test guesses, as with the identity hash.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, cast

from django.conf import settings
from django.db import connection, models, transaction

# Private to applicants.crypto; the phone channel needs purposes other than "identity".
from applicants.crypto import identity_hash, keyed_hash
from applicants.schema import ApplicationSchema, get_schema
from channels_ingest.phone.models import CallerKey

MIN_NAME_WORD = 2


def phone_digits(value: str) -> str:
    """The digits that identify a number, whatever the caller's prefix habit."""
    digits = re.sub(r"\D", "", value or "")
    return digits[-settings.PHONE_MATCH_DIGITS :] if len(digits) >= settings.PHONE_MATCH_DIGITS else ""


def name_words(value: str) -> list[str]:
    text = unicodedata.normalize("NFKD", value or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return sorted({w for w in re.split(r"[^a-z0-9]+", text) if len(w) >= MIN_NAME_WORD})


def phone_key(value: str) -> str | None:
    digits = phone_digits(value)
    return keyed_hash(settings.PII_HASH_KEY, "caller-phone", digits) if digits else None


def name_key(word: str) -> str:
    return keyed_hash(settings.PII_HASH_KEY, "caller-name", word)


def answer_keys(schema: ApplicationSchema, answers: Mapping[str, Any]) -> set[str]:
    """Every key the answers give: phones, name words, the identity number."""
    keys: set[str] = set()
    by_name = schema.by_name
    name_fields = settings.PHONE_NAME_FIELDS
    for name, value in answers.items():  # a submission's PII: a few of the schema's fields
        spec = by_name.get(name)
        if spec is None or not isinstance(value, str) or not value:
            continue
        if spec.type == "phone":
            key = phone_key(value)
            if key:
                keys.add(key)
        elif name in name_fields:
            keys.update(name_key(w) for w in name_words(value))
        elif name == schema.identity_field:
            keys.add(identity_hash(value))
    return keys


def index_applicant(applicant_id: Any, answers: Mapping[str, Any]) -> None:
    """Add the keys of one submission's answers to the person (a later submission with a
    new phone number makes them findable by both)."""
    keys = answer_keys(get_schema(), answers)
    if keys:
        _insert_keys("applicant", applicant_id, keys)


def _insert_keys(owner: str, owner_id: Any, keys: Iterable[str]) -> None:
    """One INSERT of the keys of one person or draft, existing ones skipped. Written out
    rather than bulk_create: on every submission, the ORM's preparation of three rows cost
    more than the statement."""
    field = cast("models.ForeignKey[Any, Any]", CallerKey._meta.get_field(owner))
    owner_value = field.get_db_prep_value(owner_id, connection)
    rows, params = [], []
    for key in keys:
        rows.append("(%s, %s)")
        params += [key, owner_value]
    quote = connection.ops.quote_name
    # ON CONFLICT without a target: the unique constraints are partial (per person, per draft).
    sql = (
        f"INSERT INTO {quote(CallerKey._meta.db_table)} ({quote('key')}, {quote(field.column)}) "  # noqa: S608 (the model's names)
        f"VALUES {', '.join(rows)} ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def index_draft(
    draft_id: Any, answers: Mapping[str, Any] | None, *, before: Mapping[str, Any] | None = None
) -> None:
    """A draft's keys follow its answers (a corrected phone number no longer finds it);
    a submitted draft holds no answers, so it drops out and its applicant takes over.
    `before`, the answers as loaded, spares the writes when no indexed answer changed (most
    answers are not a name, a phone or the identity)."""
    schema = get_schema()
    keys = answer_keys(schema, answers or {})
    if before is not None and answer_keys(schema, before) == keys:
        return
    with transaction.atomic():
        stale = CallerKey.objects.filter(draft_id=draft_id).exclude(key__in=keys)
        stale.delete()
        if keys:
            _insert_keys("draft", draft_id, keys)


def query_keys(query: str) -> dict[str, list[str]]:
    """The keys a typed search could mean: a phone number, name words, an identity number."""
    result: dict[str, list[str]] = {}
    text = (query or "").strip()
    if not text:
        return result
    phone = phone_key(text) if re.fullmatch(r"[\d\s()+.\-]+", text) else None
    if phone:
        result["phone"] = [phone]
    words = name_words(text)
    if words and not phone:
        result["name"] = [name_key(w) for w in words]
    if re.search(r"\d", text) and len(re.sub(r"[^0-9A-Za-z]", "", text)) >= 4:
        result["identity"] = [identity_hash(text)]
    return result


def keys_of_all(pairs: Iterable[tuple[Any, Mapping[str, Any]]]) -> list[CallerKey]:
    """For the rebuild command and benchmarks: rows for (applicant id, answers) pairs."""
    schema = get_schema()
    return [CallerKey(key=k, applicant_id=pk) for pk, answers in pairs for k in answer_keys(schema, answers)]
