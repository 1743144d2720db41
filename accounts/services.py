from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from accounts.roles import Role
from accounts.types import User

# One demo user per role, named after it; two auditors so four-eyes and claims can be tried.
DEMO_USERS: dict[str, list[Role]] = {
    "applicant": [Role.APPLICANT],
    "agent": [Role.AGENT],
    "clerk": [Role.CLERK],
    "auditor": [Role.AUDITOR],
    "auditor2": [Role.AUDITOR],
    "auditor_lead": [Role.AUDITOR, Role.AUDITOR_LEAD],
    "approver": [Role.APPROVER],
    "analyst": [Role.ANALYST],
    "admin": [Role.ADMIN],
}


@transaction.atomic
def user_create_with_roles(*, username: str, password: str, roles: list[Role], email: str = "") -> Any:
    """Create (or reset) a user holding exactly these roles. Admins get Django's admin too."""
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=username, defaults={"email": email})
    is_admin = Role.ADMIN in roles
    user.is_staff = is_admin or any(r in roles for r in (Role.APPROVER, Role.AUDITOR_LEAD))
    user.is_superuser = is_admin
    user.email = email or user.email or f"{username}@example.com"
    user.set_password(password)
    user.save()
    user.groups.set([Group.objects.get_or_create(name=str(role))[0] for role in roles])
    return user


def user_grant_role(*, user: User, role: Role) -> None:
    """Add one role to a user (e.g. `applicant` to whoever signs up on the web form)."""
    user.groups.add(Group.objects.get_or_create(name=str(role))[0])
