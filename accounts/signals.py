"""After a password login, remember in the session whether a second factor is still due.

Django's user_logged_in signal is the one place every password login passes (the login page,
the admin site), so the flag is set here rather than in a view. The middleware then asks for
the code before any other page (accounts/middleware.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import m2m_changed, pre_save
from django.dispatch import receiver

SECOND_FACTOR_DUE = "accounts.second_factor_due"


@receiver(user_logged_in, dispatch_uid="accounts.second_factor_due")
def ask_for_second_factor_after_password(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from django_otp import user_has_device

    session = getattr(request, "session", None)
    if session is not None:
        session[SECOND_FACTOR_DUE] = user_has_device(user, confirmed=True)


# --- role changes are in the audit trail ------------------------------------------------------
# Roles decide who may approve, review, unmask or erase; a grant nobody can trace later would
# let an administrator lend an account a role for one act. Recorded wherever it happens (the
# admin, a command, a service); never with the username, which may be an applicant's email.


@receiver(m2m_changed, sender=get_user_model().groups.through, dispatch_uid="accounts.roles_changed")
def record_role_changes(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    from django.contrib.auth.models import Group

    if action == "pre_clear":
        # A clear sends no ids; remember what is about to go.
        targets = instance.user_set.all() if reverse else instance.groups.all()
        instance._roles_cleared = set(targets.values_list("pk", flat=True))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    ids = instance.__dict__.pop("_roles_cleared", set()) if action == "post_clear" else set(pk_set or ())
    if not ids:
        return
    verb = "role.granted" if action == "post_add" else "role.removed"
    if reverse:  # group.user_set changed: one group, several users
        pairs = [(user_id, [instance.name]) for user_id in sorted(ids)]
    else:
        names = sorted(Group.objects.filter(pk__in=ids).values_list("name", flat=True))
        pairs = [(instance.pk, names)]
    for user_id, roles in pairs:
        _record(verb, user_id, {"roles": roles})


@receiver(pre_save, sender=get_user_model(), dispatch_uid="accounts.admin_flags_changed")
def record_admin_flag_changes(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    """A superuser is an admin whatever their groups (accounts.access.roles_of); the staff
    flag opens the admin's login; an inactive account can do nothing."""
    flags = ("is_superuser", "is_staff", "is_active")
    if instance.pk is None or (update_fields is not None and not set(update_fields) & set(flags)):
        return
    before = sender.objects.filter(pk=instance.pk).values(*flags).first()
    if before is None:
        return
    changed = {flag: getattr(instance, flag) for flag in flags if before[flag] != getattr(instance, flag)}
    if changed:
        _record("user.flags_changed", instance.pk, changed, before={flag: before[flag] for flag in changed})


def _record(action: str, user_id: Any, after: dict[str, Any], before: dict | None = None) -> None:
    from trail.services import trail_record

    trail_record(action=action, object_type="user", object_id=user_id, before=before, after=after)
