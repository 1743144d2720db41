from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db.models.signals import m2m_changed, pre_delete
from django.dispatch import receiver

from accounts.access import role_cache_key

User = get_user_model()


@receiver(m2m_changed, sender=User.groups.through)
def forget_roles_on_membership_change(*, instance: Any, action: str, reverse: bool,
                                      pk_set: Any, **kwargs: Any) -> None:
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if reverse:  # group.user_set changed: pk_set holds users (or None: all of them)
        user_ids = pk_set if pk_set is not None else instance.user_set.values_list("pk", flat=True)
    else:
        user_ids = [instance.pk]
    cache.delete_many([role_cache_key(pk) for pk in user_ids])


@receiver(pre_delete, sender=Group)
def forget_roles_of_group_members(*, instance: Group, **kwargs: Any) -> None:
    cache.delete_many([role_cache_key(pk) for pk in instance.user_set.values_list("pk", flat=True)])
