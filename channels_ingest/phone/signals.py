"""Keep the caller index (keys.py) in step with submissions and drafts, whichever channel
saved them: the values are in hand (decrypted once, by the save itself), so indexing costs
no extra decryption. Bulk inserts bypass signals: `manage.py phone_index_rebuild` covers
them (and data from before this channel)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from applicants.models import Application, Draft
from channels_ingest.phone.keys import index_applicant, index_draft


@receiver(post_save, sender=Application, dispatch_uid="phone-index-application")
def _index_application(sender: Any, instance: Application, created: bool, **kwargs: Any) -> None:
    if created and instance.pii:
        index_applicant(instance.applicant_id, instance.pii)


@receiver(post_save, sender=Draft, dispatch_uid="phone-index-draft")
def _index_draft(
    sender: Any, instance: Draft, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    if created or (update_fields is not None and "answers" not in update_fields):
        return  # a new draft has no answers yet; a save that leaves them alone changes nothing
    index_draft(instance.pk, instance.answers, before=getattr(instance, "answers_as_loaded", None))
