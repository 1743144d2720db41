"""Who may do what: every view and endpoint asks these functions, nothing else.

Small on purpose, and covered by tests for who may and who may not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.cache import cache

from accounts.roles import STAFF_ROLES, Role

if TYPE_CHECKING:
    from applicants.models import Application


ROLE_CACHE_SECONDS = 60


def role_cache_key(user_id: Any) -> str:
    return f"accounts:roles:{user_id}"


def roles_of(user: Any) -> frozenset[str]:
    """A user's roles. Kept in the cache between requests (a query saved on every API call);
    accounts.signals forgets them the moment group membership changes."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        names = cache.get(role_cache_key(user.pk))
        if names is None:
            names = list(user.groups.values_list("name", flat=True))
            cache.set(role_cache_key(user.pk), names, ROLE_CACHE_SECONDS)
        cached = frozenset(names) | ({Role.ADMIN} if user.is_superuser else set())
        user._role_names = cached
    return cached


def has_role(user: Any, *roles: Role) -> bool:
    return bool(roles_of(user) & set(roles))


def is_staff_member(user: Any) -> bool:
    return bool(roles_of(user) & STAFF_ROLES)


def can_submit_application(user: Any) -> bool:
    return has_role(user, Role.APPLICANT, Role.AGENT, Role.CLERK, Role.ADMIN)


def can_view_application(user: Any, application: Application) -> bool:
    """Staff who work applications see all; any other account only what it submitted or
    owns (linked by a verified step). Never by the person record: that is found by an
    identity number anyone can type."""
    if has_role(user, Role.AGENT, Role.CLERK, Role.AUDITOR, Role.AUDITOR_LEAD, Role.ADMIN):
        return True
    if not user.is_authenticated:
        return False
    return user.pk in {application.submitted_by_id, application.owner_id} - {None}


def applies_for_self(user: Any) -> bool:
    """An applicant's submission is their own; staff (agents, clerks, admins) key for others,
    so what they submit belongs to nobody until a verified step links it to the person."""
    return has_role(user, Role.APPLICANT) and not is_staff_member(user)


def can_see_duplicate_flags(user: Any) -> bool:
    """Whether an identity applied recently is for staff: told to an applicant it would
    reveal whether someone else applied with that identity number."""
    return is_staff_member(user)


def can_see_pii(user: Any) -> bool:
    """Who may read personal answers unmasked (every unmasking is audited by the caller)."""
    return has_role(user, Role.AGENT, Role.CLERK, Role.AUDITOR_LEAD, Role.ADMIN)


def can_manage_models(user: Any) -> bool:
    return has_role(user, Role.APPROVER, Role.ADMIN)


def can_view_models(user: Any) -> bool:
    """The model registry pages: those who judge models and those who work with their data."""
    return has_role(user, Role.APPROVER, Role.ADMIN, Role.ANALYST, Role.AUDITOR_LEAD)


def can_approve_model(user: Any, model: Any) -> bool:
    """Only an approver, and (two people) never the one who trained it, unless
    LIFECYCLE_ALLOW_SELF_APPROVAL is on."""
    from django.conf import settings

    if not has_role(user, Role.APPROVER):
        return False
    trained_by = getattr(model, "trained_by_id", None)
    return settings.LIFECYCLE_ALLOW_SELF_APPROVAL or trained_by is None or trained_by != user.pk


def can_activate_model(user: Any) -> bool:
    """Activation, rollback, retiring and shadowing: an approver or an admin."""
    return has_role(user, Role.APPROVER, Role.ADMIN)


def can_train_model(user: Any) -> bool:
    return has_role(user, Role.APPROVER, Role.ADMIN, Role.ANALYST)


# --- review queue, audit trail, labelled exports (auditing) ---------------------------------


def can_work_review_queue(user: Any) -> bool:
    """See the review queue and claim items from it."""
    return has_role(user, Role.AUDITOR, Role.AUDITOR_LEAD)


def can_review_application(user: Any, *, submitted_by_id: Any, applicant_user_id: Any) -> bool:
    """Confirm or override a decision. Segregation of duties: whoever submitted or keyed
    the application, or is its applicant, may not judge it."""
    if not can_work_review_queue(user):
        return False
    return user.pk not in {submitted_by_id, applicant_user_id} - {None}


def can_give_second_opinion(user: Any, *, proposed_by_id: Any, submitted_by_id: Any,
                            applicant_user_id: Any) -> bool:
    """Four eyes: the second auditor is never the one who proposed the change."""
    return (
        can_review_application(user, submitted_by_id=submitted_by_id,
                               applicant_user_id=applicant_user_id)
        and user.pk != proposed_by_id
    )


def can_search_trail(user: Any) -> bool:
    """Search and export the audit trail; read label-quality figures."""
    return has_role(user, Role.AUDITOR_LEAD, Role.ADMIN)


def can_export_labels(user: Any) -> bool:
    return has_role(user, Role.ANALYST, Role.ADMIN)


def can_download_export(user: Any, *, requested_by_id: Any) -> bool:
    """An analyst downloads their own exports; an admin any."""
    if has_role(user, Role.ADMIN):
        return True
    return can_export_labels(user) and user.pk == requested_by_id


def review_conflicts_q(user: Any) -> Any:
    """The review items `user` may not judge (segregation of duties), as a filter on
    ReviewItem, so queue queries apply the same rule as can_review_application."""
    from django.db.models import Q

    return Q(submitted_by_id=user.pk) | Q(applicant_user_id=user.pk)
