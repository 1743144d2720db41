"""Who may do what: every view and endpoint asks these functions, nothing else.

Small on purpose, and covered by tests for who may and who may not.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from accounts.roles import STAFF_ROLES, Role

if TYPE_CHECKING:
    from accounts.types import AnyUser
    from applicants.models import Application


def roles_of(user: AnyUser | None) -> frozenset[str]:
    """A user's roles, read once per request (memoised on the user object, which lives as
    long as the request). Never kept in a cache between requests: a role removed in one
    process must apply at the next request everywhere, and a cache that is down must not
    stop the platform."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = remember_roles(user, user.groups.values_list("name", flat=True))
    return cached


def remember_roles(user: AnyUser, group_names: Iterable[str]) -> frozenset[str]:
    """Memoise the roles of a user whose group names were read with the user itself (the API's
    token authentication reads token, user and groups in one query), by roles_of's rule."""
    roles = (
        frozenset(group_names) | ({Role.ADMIN} if user.is_superuser else set())
        if user.is_authenticated and user.is_active
        else frozenset()
    )
    setattr(user, "_role_names", roles)  # noqa: B010 (a memo the user model does not declare)
    return roles


def has_role(user: AnyUser | None, *roles: Role) -> bool:
    return bool(roles_of(user) & set(roles))


def is_staff_member(user: AnyUser | None) -> bool:
    return bool(roles_of(user) & STAFF_ROLES)


def can_submit_application(user: AnyUser) -> bool:
    return has_role(user, Role.APPLICANT, Role.AGENT, Role.CLERK, Role.ADMIN)


def can_view_application(user: AnyUser, application: Application) -> bool:
    """Staff who take applications (agents, clerks) and admins see all; any other account
    only what it submitted or owns (linked by a verified step). Never by the person record:
    that is found by an identity number anyone can type. Auditors read applications on the
    review pages only, which hide the model's answer from a blind review (here it would
    show)."""
    if has_role(user, Role.AGENT, Role.CLERK, Role.ADMIN):
        return True
    if not user.is_authenticated:
        return False
    return user.pk in {application.submitted_by_id, application.owner_id} - {None}


def applies_for_self(user: AnyUser) -> bool:
    """An applicant's submission is their own; staff (agents, clerks, admins) key for others,
    so what they submit belongs to nobody until a verified step links it to the person."""
    return has_role(user, Role.APPLICANT) and not is_staff_member(user)


def can_see_duplicate_flags(user: AnyUser | None) -> bool:
    """Whether an identity applied recently is for staff: told to an applicant it would
    reveal whether someone else applied with that identity number."""
    return is_staff_member(user)


def can_see_model_figures(user: AnyUser | None) -> bool:
    """The model's own tier, probabilities and reason weights, and internal failure reasons:
    staff only. An applicant is told the final outcome in words (applicants.outcome)."""
    return is_staff_member(user)


def can_see_pii(user: AnyUser) -> bool:
    """Who may read personal answers unmasked (every unmasking is audited by the caller)."""
    return has_role(user, Role.AGENT, Role.CLERK, Role.AUDITOR_LEAD, Role.ADMIN)


def can_view_models(user: AnyUser) -> bool:
    """The model registry pages: those who judge models and those who work with their data."""
    return has_role(user, Role.APPROVER, Role.ADMIN, Role.ANALYST, Role.AUDITOR_LEAD)


def can_approve_model(user: AnyUser, model: Any) -> bool:
    """Only an approver, and (two people) never the one who trained it, unless
    LIFECYCLE_ALLOW_SELF_APPROVAL is on."""
    from django.conf import settings

    if not has_role(user, Role.APPROVER):
        return False
    trained_by = getattr(model, "trained_by_id", None)
    return settings.LIFECYCLE_ALLOW_SELF_APPROVAL or trained_by is None or trained_by != user.pk


def can_activate_model(user: AnyUser) -> bool:
    """Activation, rollback, retiring and shadowing: an approver or an admin."""
    return has_role(user, Role.APPROVER, Role.ADMIN)


def can_train_model(user: AnyUser) -> bool:
    return has_role(user, Role.APPROVER, Role.ADMIN, Role.ANALYST)


# --- review queue, audit trail, labelled exports (auditing) ---------------------------------


def can_work_review_queue(user: AnyUser) -> bool:
    """See the review queue and claim items from it."""
    return has_role(user, Role.AUDITOR, Role.AUDITOR_LEAD)


def can_review_application(
    user: AnyUser, *, submitted_by_id: Any, applicant_user_id: Any, application_id: Any = None
) -> bool:
    """Confirm or override a decision. Segregation of duties: whoever submitted or keyed
    the application (both mail clerks and the resolver too, given the id), or is its
    applicant, may not judge it."""
    if not can_work_review_queue(user):
        return False
    if application_id is not None and worked_on_application(user, application_id):
        return False
    return user.pk not in {submitted_by_id, applicant_user_id} - {None}


def can_give_second_opinion(
    user: AnyUser,
    *,
    proposed_by_id: Any,
    submitted_by_id: Any,
    applicant_user_id: Any,
    application_id: Any = None,
) -> bool:
    """Four eyes: the second auditor is never the one who proposed the change."""
    return (
        can_review_application(
            user,
            submitted_by_id=submitted_by_id,
            applicant_user_id=applicant_user_id,
            application_id=application_id,
        )
        and user.pk != proposed_by_id
    )


def can_search_trail(user: AnyUser) -> bool:
    """Search and export the audit trail; read label-quality figures."""
    return has_role(user, Role.AUDITOR_LEAD, Role.ADMIN)


def can_export_labels(user: AnyUser) -> bool:
    return has_role(user, Role.ANALYST, Role.ADMIN)


def can_download_export(user: AnyUser, *, requested_by_id: Any) -> bool:
    """An analyst downloads their own exports; an admin any."""
    if has_role(user, Role.ADMIN):
        return True
    return can_export_labels(user) and user.pk == requested_by_id


def review_conflicts_q(user: AnyUser) -> Any:
    """The review items `user` may not judge (segregation of duties), as a filter on
    ReviewItem, so queue queries apply the same rule as can_review_application."""
    from django.db.models import Q

    conflicts = Q(submitted_by_id=user.pk) | Q(applicant_user_id=user.pk)
    for source in _REVIEW_CONFLICT_SOURCES:  # e.g. the mail forms this user keyed or resolved
        conflicts |= Q(application_id__in=source(user))
    return conflicts


# --- drafts (applicants.drafts): a partly answered application --------------------------------


def can_edit_draft(user: AnyUser, draft: Any) -> bool:
    """A draft is its owner's alone: staff see applications once submitted, never drafts.
    Drafts owned by a conversation, call or mail batch are reached through that channel's
    own check, not by an account."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return draft.owner_kind == "user" and draft.owner_user_id == user.pk


def can_start_draft(user: AnyUser) -> bool:
    """Who may start an application in the web form for themselves."""
    return applies_for_self(user)


# --- logins: two-factor authentication and API tokens (docs/accounts.md) ----------------------

# The roles that must use a second factor when OTP_REQUIRED_FOR_STAFF is on: whoever judges
# decisions, reads the trail, approves models or operates the platform.
SECOND_FACTOR_ROLES = (Role.AUDITOR, Role.AUDITOR_LEAD, Role.APPROVER, Role.ADMIN)


def second_factor_required(user: AnyUser) -> bool:
    """Whether this account must enrol and verify a second factor before any page. Django
    staff (the admin site) count too, whatever their roles."""
    from django.conf import settings

    if not settings.OTP_REQUIRED_FOR_STAFF or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff or user.is_superuser or has_role(user, *SECOND_FACTOR_ROLES))


def can_enrol_second_factor(user: AnyUser) -> bool:
    """Staff accounts (any staff role, or Django staff) may add a TOTP device."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff or user.is_superuser or is_staff_member(user))


def can_use_api_token(user: AnyUser) -> bool:
    """An API token is a password that skips the second factor, so accounts that must use
    one get no token (and tokens they already hold stop working) while it is required.
    Applicants, agents, clerks and analysts are not in that set."""
    return not second_factor_required(user)


def can_erase_personal_data(user: AnyUser) -> bool:
    """Erasure (right to be forgotten) is irreversible: platform administrators only."""
    return has_role(user, Role.ADMIN)


def can_approve_models(user: AnyUser) -> bool:
    """Whether the role approves models at all (pages answer 403 to the others); whether it
    may approve one given model (never the one it trained) is can_approve_model's."""
    return has_role(user, Role.APPROVER)


def can_use_admin_site(user: AnyUser) -> bool:
    """The Django admin: platform administrators only (Django's staff flag alone is not
    enough; approvers and auditor leads carry it but work on their own pages)."""
    return bool(getattr(user, "is_staff", False)) and has_role(user, Role.ADMIN)


# --- the call-centre agent screen (channels_ingest/phone) ---------------------------------------


def can_use_agent_screen(user: AnyUser) -> bool:
    """Find callers, key phone applications: call-centre agents."""
    return has_role(user, Role.AGENT)


def can_work_call(user: AnyUser, call: Any) -> bool:
    """A call is its agent's alone (what the caller said, the draft keyed in it)."""
    return can_use_agent_screen(user) and call.agent_id == user.pk


def can_take_handoff(user: AnyUser) -> bool:
    """See the voice bot's hand-off queue and pick calls up from it."""
    return has_role(user, Role.AGENT)


# --- monitoring -----------------------------------------------------------------------------


def can_view_monitoring(user: AnyUser) -> bool:
    """The monitoring dashboard and alerts: those who judge models, fairness and labels."""
    return has_role(user, Role.ANALYST, Role.APPROVER, Role.AUDITOR_LEAD, Role.ADMIN)


def can_view_queue_health(user: AnyUser) -> bool:
    """Live queue health (review queue, outbox backlogs, dead letters): who acts on a backlog."""
    return has_role(user, Role.AUDITOR_LEAD, Role.ADMIN)


def can_manage_alerts(user: AnyUser) -> bool:
    """Acknowledge and resolve alerts, recompute roll-ups now: the people who act on them."""
    return has_role(user, Role.ANALYST, Role.AUDITOR_LEAD, Role.ADMIN)


# --- mail entry (channels_ingest/mail): blind double keying of paper forms -------------------

# Channels where people other than the submitter work on an application (two clerks and a
# resolver) name those applications here: source(user) -> a query of application ids. Both
# review checks above read it, so the rule stays one rule.
_REVIEW_CONFLICT_SOURCES: list[Any] = []


def register_review_conflicts(source: Any) -> None:
    if source not in _REVIEW_CONFLICT_SOURCES:
        _REVIEW_CONFLICT_SOURCES.append(source)


def worked_on_application(user: AnyUser, application_id: Any) -> bool:
    """Whether `user` keyed or resolved any of this application (a registered source says)."""
    if not getattr(user, "pk", None):
        return False
    return any(
        source(user).filter(application_id=application_id).exists() for source in _REVIEW_CONFLICT_SOURCES
    )


def can_key_mail(user: AnyUser) -> bool:
    """Upload scans and key paper forms (either pass; never both passes of one form)."""
    return has_role(user, Role.CLERK)


def can_supervise_mail(user: AnyUser) -> bool:
    """Open batches, resolve mismatches (of forms one did not key), read clerk quality."""
    return has_role(user, Role.MAIL_SUPERVISOR)


def can_use_mail_entry(user: AnyUser) -> bool:
    """The mail pages and the scans: clerks and mail supervisors, nobody else."""
    return has_role(user, Role.CLERK, Role.MAIL_SUPERVISOR)


def can_key_pass(user: AnyUser, *, other_pass_clerk_id: Any) -> bool:
    """Key a pass of a form: a clerk who did not key its other pass."""
    return can_key_mail(user) and user.pk != other_pass_clerk_id


def can_resolve_mail_item(user: AnyUser, *, clerk_ids: Any) -> bool:
    """Resolve a form's mismatches: a supervisor who keyed neither of its passes."""
    return can_supervise_mail(user) and user.pk not in set(clerk_ids)


# --- conversations (channels_ingest/conversation): web chat, SMS, voice -----------------------


def can_post_twilio_webhook(*, signed: bool) -> bool:
    """Twilio's webhooks carry no account: a request is Twilio's when its X-Twilio-Signature
    checks out under TWILIO_AUTH_TOKEN, and nobody else may post there, logged in or not."""
    return bool(signed)


def can_use_phone_simulator(user: AnyUser) -> bool:
    """The phone simulator (/dev/phone/) signs webhook requests with the local Twilio auth
    token: a development tool, there for anyone only while DEBUG is on, and for nobody (404)
    otherwise."""
    from django.conf import settings

    return bool(settings.DEBUG)


def can_chat(user: AnyUser) -> bool:
    """The web chat is open to anyone, logged in or not: it answers questions and collects
    answers; sending an application needs can_submit_by_chat."""
    return user is None or not getattr(user, "is_authenticated", False) or bool(user.is_active)


def can_submit_by_chat(user: AnyUser) -> bool:
    """A chat's application is sent for the person themselves: an applicant account (logged
    in: the verified step that links the conversation to it)."""
    return applies_for_self(user)


def can_continue_conversation(user: AnyUser, conversation: Any, *, session_conversation: Any) -> bool:
    """A web chat is bound to the browser session that started it; once linked to an account,
    to that account alone (another session of the same account may pick it up)."""
    if conversation.user_id is not None:
        return bool(getattr(user, "is_authenticated", False)) and conversation.user_id == user.pk
    return str(conversation.pk) == str(session_conversation or "")
