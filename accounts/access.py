"""Who may do what: every view and endpoint asks these functions, nothing else.

Small on purpose, and covered by tests for who may and who may not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accounts.roles import STAFF_ROLES, Role

if TYPE_CHECKING:
    from applicants.models import Application


def roles_of(user: Any) -> frozenset[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached |= {Role.ADMIN}
        user._role_names = cached
    return cached


def has_role(user: Any, *roles: Role) -> bool:
    return bool(roles_of(user) & set(roles))


def is_staff_member(user: Any) -> bool:
    return bool(roles_of(user) & STAFF_ROLES)


def can_submit_application(user: Any) -> bool:
    return has_role(user, Role.APPLICANT, Role.AGENT, Role.CLERK, Role.ADMIN)


def can_view_application(user: Any, application: Application) -> bool:
    """Applicants see their own; staff who work applications see all."""
    if has_role(user, Role.AGENT, Role.CLERK, Role.AUDITOR, Role.AUDITOR_LEAD, Role.ADMIN):
        return True
    if not user.is_authenticated:
        return False
    return user.pk in (application.submitted_by_id, application.applicant.user_id)


def can_see_pii(user: Any) -> bool:
    """Who may read personal answers unmasked (every unmasking is audited by the caller)."""
    return has_role(user, Role.AGENT, Role.CLERK, Role.AUDITOR_LEAD, Role.ADMIN)


def can_manage_models(user: Any) -> bool:
    return has_role(user, Role.APPROVER, Role.ADMIN)
