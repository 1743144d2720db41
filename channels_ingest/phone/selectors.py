"""Reads for the agent screen: finding a caller, their records once verified, what an agent
keyed today, the hand-off queue."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from applicants.crypto import identity_hash
from applicants.models import Applicant, Application, Channel, Draft, DraftStatus
from applicants.provenance import Method
from channels_ingest.phone.identity import agrees_with_check_fields
from channels_ingest.phone.keys import query_keys
from channels_ingest.phone.models import Call, CallerKey, Handoff, HandoffState

MAX_CANDIDATES = 10
_HEX_PREFIX = re.compile(r"[0-9a-f]{8}")


@dataclass
class Candidate:
    """Someone the search found, described without any personal value: what matched and how
    many records there are. The agent learns who it is only through the identity check."""

    kind: str  # "applicant" | "draft"
    id: Any
    matched: set[str] = field(default_factory=set)
    applications: int = 0
    latest: dt.datetime | None = None
    drafts: int = 0
    draft_channel: str = ""

    @property
    def token(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def matched_text(self) -> str:
        return ", ".join(sorted(self.matched))


def _reference_range(text: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """An application reference: its full id, or the first 8 characters (a range of ids, so
    the primary key's index answers it)."""
    compact = text.strip().lower().replace("-", "")
    if re.fullmatch(r"[0-9a-f]{32}", compact):
        exact = uuid.UUID(compact)
        return exact, exact
    if _HEX_PREFIX.fullmatch(compact):
        return uuid.UUID(compact + "0" * 24), uuid.UUID(compact + "f" * 24)
    return None


def caller_search(query: str) -> list[Candidate]:
    """People and open drafts matching a phone number, all words of a name, an identity
    number or an application reference; the best matches first. Hash look-ups only."""
    found: dict[tuple[str, Any], Candidate] = {}

    def hit(kind: str, pk: Any, why: str) -> None:
        found.setdefault((kind, pk), Candidate(kind=kind, id=pk)).matched.add(why)

    reference = _reference_range(query)
    if reference:
        for applicant_id in Application.objects.filter(
            pk__gte=reference[0], pk__lte=reference[1]
        ).values_list("applicant_id", flat=True)[:MAX_CANDIDATES]:
            hit("applicant", applicant_id, "application reference")
    keys = query_keys(query)
    if "identity" in keys:
        for pk in Applicant.objects.filter(identity_hash__in=keys["identity"]).values_list("pk", flat=True):
            hit("applicant", pk, "national ID")
    wanted = [k for kind, group in keys.items() if kind != "name" for k in group]
    if wanted:
        kind_of = {k: kind for kind, group in keys.items() for k in group}
        for key, applicant_id, draft_id in CallerKey.objects.filter(key__in=wanted).values_list(
            "key", "applicant_id", "draft_id"
        )[: MAX_CANDIDATES * 5]:
            target = ("applicant", applicant_id) if applicant_id else ("draft", draft_id)
            hit(*target, {"phone": "phone number", "identity": "national ID"}[kind_of[key]])
    if keys.get("name"):
        # Every word of the name, counted in the database (common words match thousands).
        words = set(keys["name"])
        for applicant_id, draft_id in (
            CallerKey.objects.filter(key__in=words)
            .values("applicant_id", "draft_id")
            .annotate(words=Count("key", distinct=True))
            .filter(words=len(words))
            .values_list("applicant_id", "draft_id")[: MAX_CANDIDATES * 5]
        ):
            hit(*(("applicant", applicant_id) if applicant_id else ("draft", draft_id)), "name")
    return _described(found)


def _described(found: dict[tuple[str, Any], Candidate]) -> list[Candidate]:
    applicant_ids = [pk for kind, pk in found if kind == "applicant"]
    draft_ids = [pk for kind, pk in found if kind == "draft"]
    live = {
        d.pk: d
        for d in Draft.objects.filter(
            pk__in=draft_ids, status=DraftStatus.OPEN, expires_at__gt=timezone.now(), handoff__isnull=True
        )
    }
    # A draft by a person already found (same identity number) is theirs, not another caller.
    folded = _drafts_of_people(list(live), applicant_ids)
    for applicant_id in folded.values():
        found[("applicant", applicant_id)].drafts += 1
    stats = {
        row["applicant_id"]: row
        for row in Application.objects.filter(applicant_id__in=applicant_ids)
        .values("applicant_id")
        .annotate(n=Count("id"), latest=Max("created_at"))
    }
    result = []
    for (kind, pk), candidate in found.items():
        if kind == "draft":
            if pk not in live or pk in folded:
                continue
            candidate.drafts, candidate.draft_channel = 1, live[pk].get_channel_display()
            candidate.latest = live[pk].updated_at
        else:
            row = stats.get(pk)
            if row is None:
                continue  # a person with no application left (erased)
            candidate.applications, candidate.latest = row["n"], row["latest"]
        result.append(candidate)
    result.sort(key=lambda c: (-len(c.matched), -(c.latest.timestamp() if c.latest else 0)))
    return result[:MAX_CANDIDATES]


def _drafts_of_people(draft_ids: list[Any], applicant_ids: list[Any]) -> dict[Any, Any]:
    if not draft_ids or not applicant_ids:
        return {}
    hashes = dict(
        Applicant.objects.filter(pk__in=applicant_ids, identity_hash__isnull=False).values_list(
            "identity_hash", "pk"
        )
    )
    return {
        draft_id: hashes[key]
        for key, draft_id in CallerKey.objects.filter(
            draft_id__in=draft_ids, key__in=list(hashes)
        ).values_list("key", "draft_id")
    }


# --- after the identity check ---------------------------------------------------------------


def caller_applications(call: Call) -> list[Application]:
    """The verified caller's applications: those under the person found whose own answers
    carry the values the caller was checked against (another application under the same
    person may come from someone who typed the identity number)."""
    applicant = call.applicant if call.verified_at is not None else None
    if applicant is None:
        return []
    person = applicant.pii or {}
    return [
        a
        for a in Application.objects.filter(applicant_id=applicant.pk).order_by("-created_at")
        if agrees_with_check_fields(a.pii or {}, person)
    ]


def caller_drafts(call: Call) -> list[Draft]:
    """Open drafts of the verified caller: the one found, and any carrying their identity
    number (begun on the web or in an earlier call). Never before the check."""
    if call.verified_at is None:
        return []
    ids: set[Any] = {call.found_draft_id} - {None}
    if call.applicant_id:
        key = Applicant.objects.filter(pk=call.applicant_id).values_list("identity_hash", flat=True).first()
        if key:
            ids |= set(
                CallerKey.objects.filter(key=key, draft__isnull=False).values_list("draft_id", flat=True)
            )
    drafts = Draft.objects.filter(
        pk__in=ids, status=DraftStatus.OPEN, handoff__isnull=True, expires_at__gt=timezone.now()
    ).order_by("-updated_at")
    if call.applicant is None:
        return list(drafts)
    # Drafts found by the identity number: only those with the verified person's values.
    person = call.applicant.pii or {}
    return [
        d for d in drafts if d.pk == call.found_draft_id or agrees_with_check_fields(d.answers or {}, person)
    ]


def recent_application_of_identity(value: str) -> Application | None:
    """The latest application of the person with this identity number within the duplicate
    window (the agent is warned while keying); None when there is none or it is unreadable."""
    window = dt.timedelta(days=settings.DUPLICATE_WINDOW_DAYS)
    if not value or not window or not re.search(r"[0-9A-Za-z]", value):
        return None
    return (
        Application.objects.filter(
            applicant__identity_hash=identity_hash(value), created_at__gte=timezone.now() - window
        )
        .order_by("-created_at")
        .first()
    )


def keyed_today(agent: Any) -> QuerySet[Application]:
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return Application.objects.filter(
        submitted_by=agent, channel=Channel.PHONE_AGENT, created_at__gte=start
    ).order_by("-created_at")


def applications_worked_on_by(user: Any) -> QuerySet[Draft, Any]:
    """Ids of the applications from drafts `user` had open in a call of theirs (keyed, carried
    on from the web or an earlier call, or picked up from the voice bot), submitted by them
    or by another agent later: they may not review them (accounts.access.review_conflicts_q).
    Never NULL: `NOT IN` a list with a NULL excludes everything."""
    return (
        Draft.objects.filter(phone_calls__agent_id=user.pk, application__isnull=False)
        .values("application_id")
        .distinct()
    )


def call_of_agent(call_id: Any, agent: Any) -> Call | None:
    return (
        Call.objects.filter(pk=call_id, agent=agent).select_related("draft", "handoff", "application").first()
    )


# --- the hand-off queue -------------------------------------------------------------------


def handoff_queue(limit: int = 50) -> QuerySet[Handoff]:
    """Waiting hand-offs, oldest first (a held one shows who holds it until when)."""
    return (
        Handoff.objects.filter(state=HandoffState.WAITING)
        .select_related("claimed_by")
        .order_by("created_at")[:limit]
    )


def handoff_free_q(now: dt.datetime) -> Q:
    return Q(claimed_by__isnull=True) | Q(claim_expires_at__lte=now)


def capture_notes(provenance: Mapping[str, list[Mapping[str, Any]]] | None) -> dict[str, dict[str, Any]]:
    """How each current answer was captured, and whether it is a speech answer the agent
    should confirm with the caller (confidence below PHONE_LOW_CONFIDENCE)."""
    notes = {}
    for name, history in (provenance or {}).items():
        if not history:
            continue
        current = history[-1]
        confidence = current.get("confidence")
        notes[name] = {
            "method": current.get("method", ""),
            "confidence": confidence,
            "percent": None if confidence is None else round(float(confidence) * 100),
            "low": current.get("method") == Method.SPEECH
            and confidence is not None
            and float(confidence) < settings.PHONE_LOW_CONFIDENCE,
        }
    return notes
