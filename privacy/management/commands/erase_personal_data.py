from __future__ import annotations

import sys
import time
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from privacy.models import ErasureRequest, ErasureStatus
from privacy.services.erasure import (
    ErasureRefused,
    erasure_follow_up,
    erasure_redrive,
    erasure_request,
)


class Command(BaseCommand):
    help = (
        "Erase a person's personal data (right to be forgotten): every application of the "
        "person behind --application, or behind the identity number read from stdin "
        "(--national-id-stdin). Decisions' non-personal facts stay; the audit trail records "
        "who and which applications. --status / --redrive follow a request. docs/privacy.md"
    )

    def add_arguments(self, parser: Any) -> None:
        subject = parser.add_mutually_exclusive_group()
        subject.add_argument("--application", help="an application id of the person")
        subject.add_argument(
            "--national-id-stdin",
            action="store_true",
            help="read the identity number from standard input (it stays out "
            "of shell history and the process list)",
        )
        subject.add_argument("--national-id", help="the identity number (prefer --national-id-stdin)")
        subject.add_argument("--status", metavar="REQUEST", help="show (and refresh) a request")
        subject.add_argument("--redrive", metavar="REQUEST", help="send a request's dead sink messages again")
        parser.add_argument("--by", help="the administrator's username (recorded in the trail)")
        parser.add_argument("--reference", default="", help="a ticket number, never a name")
        parser.add_argument(
            "--drain",
            action="store_true",
            help="deliver the sinks' messages now, in this process, then report",
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=0.0,
            help="wait up to this many seconds for the sinks to be verified",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["status"] or options["redrive"]:
            request_id = options["status"] or options["redrive"]
            request = self._existing(request_id)
            if options["redrive"]:
                request = erasure_redrive(request.pk)
            self._follow(request, options)
            return
        national_id = options["national_id"]
        if options["national_id_stdin"]:
            national_id = sys.stdin.readline().strip()
        if not options["application"] and not national_id:
            raise CommandError("name the person: --application ID or --national-id-stdin")
        actor = self._actor(options["by"])
        try:
            request = erasure_request(
                actor=actor,
                application_id=options["application"],
                national_id=national_id,
                reference=options["reference"],
            )
        except (ErasureRefused, PermissionDenied) as exc:
            raise CommandError(str(exc)) from exc
        if not request.application_ids:
            self.stdout.write(
                f"erasure {request.pk}: no personal data is held for this person "
                "(never seen, or erased before); recorded in the trail"
            )
        else:
            self.stdout.write(
                f"erasure {request.pk}: {len(request.application_ids)} applications "
                f"of {request.people} person erased in the database "
                f"({_changes(request.changes)})"
            )
        self._follow(request, options)

    def _existing(self, request_id: str) -> ErasureRequest:
        try:
            request = ErasureRequest.objects.filter(pk=uuid.UUID(request_id)).first()
        except ValueError:
            request = None
        if request is None:
            raise CommandError(f"there is no erasure request {request_id!r}")
        return request

    def _actor(self, username: str | None) -> Any:
        if not username:
            raise CommandError("--by: the administrator who carries out the erasure")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"there is no user {username!r}")
        return user

    def _follow(self, request: ErasureRequest, options: dict[str, Any]) -> None:
        deadline = time.monotonic() + options["wait"]
        while True:
            if options["drain"] and request.status == ErasureStatus.SINKS_PENDING:
                from sinks.services import sink_drain

                for sink in settings.SINKS:
                    sink_drain(sink_name=sink)
            request = erasure_follow_up(request.pk)
            if request.status != ErasureStatus.SINKS_PENDING or time.monotonic() >= deadline:
                break
            time.sleep(0.5)
        for sink, entry in sorted((request.sinks or {}).items()):
            verified = "verified" if entry.get("verified") else "not verified yet"
            self.stdout.write(
                f"  {sink}: {entry.get('delivered', 0)}/{entry.get('messages', 0)} "
                f"delivered, {entry.get('dead', 0)} dead, {verified}"
            )
        style = self.style.SUCCESS if request.status == ErasureStatus.DONE else self.style.WARNING
        self.stdout.write(style(f"erasure {request.pk}: {request.get_status_display()}"))
        if request.last_error:
            self.stdout.write(request.last_error)


def _changes(changes: dict[str, int]) -> str:
    return ", ".join(f"{name.replace('_', ' ')}: {count}" for name, count in changes.items())
