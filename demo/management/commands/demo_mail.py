from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.roles import Role
from accounts.services import user_create_with_roles
from applicants.schema import get_schema
from channels_ingest.mail import services as mail
from channels_ingest.mail.models import MailBatch
from demo import synthetic
from demo.mail_scans import render_form

# Demo mail staff besides seed_demo's `clerk`: a second clerk (the other pass) and a supervisor.
MAIL_USERS = {"clerk2": [Role.CLERK], "mail_supervisor": [Role.MAIL_SUPERVISOR]}


class Command(BaseCommand):
    help = (
        "Mail entry demo (DEBUG only): two batches of paper forms with generated scans, one "
        "form waiting for its second pass, one whose clerks disagree. Once: skipped when "
        "a batch exists."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo mail batches are only created when DEBUG is on")
        User = get_user_model()
        for username, roles in MAIL_USERS.items():
            if not User.objects.filter(username=username).exists():
                user_create_with_roles(username=username, password=settings.DEMO_PASSWORD, roles=roles)
        if MailBatch.objects.exists():
            self.stdout.write("Mail batches exist; no demo batches added.")
            return
        clerk = User.objects.filter(username="clerk").first()
        if clerk is None:
            raise CommandError("run seed_demo first (it creates the `clerk` user)")
        clerk2 = User.objects.get(username="clerk2")
        supervisor = User.objects.get(username="mail_supervisor")
        schema = get_schema()
        answers, _ = synthetic.generate(schema, 5, seed=1101)
        today = dt.date.today()
        first = mail.batch_open(
            number=f"MB-{today:%Y%m%d}-01",
            received_on=today - dt.timedelta(days=1),
            forms_count=3,
            actor=supervisor,
        )
        second = mail.batch_open(
            number=f"MB-{today:%Y%m%d}-02", received_on=today, forms_count=2, actor=supervisor
        )
        items = list(first.items.order_by("sequence")) + list(second.items.order_by("sequence"))
        for index, (item, form) in enumerate(zip(items, answers, strict=True)):
            pdf = index == 1  # one PDF among the images
            scan = render_form(
                schema,
                form,
                title=f"{item.batch.number} / {item.sequence}",
                image_format="PDF" if pdf else "PNG",
            )
            mail.scan_upload(item=item, data=scan, actor=supervisor)
        # Form 1: keyed once by `clerk`; `clerk2` keys the second pass.
        keying = mail.pass_start(item=items[0], clerk=clerk)
        mail.pass_finish(keying=keying, clerk=clerk, raw=answers[0])
        # Form 2: the clerks disagree on one amount; the supervisor resolves it.
        for who, form in ((clerk, answers[1]), (clerk2, _misread(schema, answers[1]))):
            keying = mail.pass_start(item=items[1], clerk=who)
            mail.pass_finish(keying=keying, clerk=who, raw=form)
        self.stdout.write(
            self.style.SUCCESS(
                "Mail entry: 2 batches, 5 scanned forms; log in as clerk or clerk2 to key, as "
                "mail_supervisor to resolve (password DEMO_PASSWORD), at /mail/."
            )
        )


def _misread(schema: Any, form: dict[str, Any]) -> dict[str, Any]:
    """The same form with one number keyed wrong (a 3 read as an 8)."""
    changed = dict(form)
    for field in schema.fields:
        if field.type in ("integer", "number") and isinstance(form.get(field.name), (int, float)):
            value = int(form[field.name])
            misread = int(str(value).replace("3", "8", 1)) if "3" in str(value) else value + 1
            if field.max is None or misread <= field.max:
                changed[field.name] = misread
                return changed
    return changed
