from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.services import DEMO_USERS, user_create_with_roles


class Command(BaseCommand):
    help = "Create one demo user per role (password DEMO_PASSWORD). Only when DEBUG is on."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo users are only created when DEBUG is on")
        for username, roles in DEMO_USERS.items():
            user = user_create_with_roles(username=username, password=settings.DEMO_PASSWORD, roles=roles)
            # The web form's login (/apply/) takes an email address, already verified here.
            EmailAddress.objects.update_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )
        self.stdout.write(
            self.style.SUCCESS(f"Demo users ready ({', '.join(DEMO_USERS)}), password from DEMO_PASSWORD.")
        )
