"""`manage.py create_staff USERNAME --role counter --password ...`: a staff account with a role.

Prints the otpauth:// URI of the account's TOTP device (scan it, or type the secret in it, into
an authenticator app). With --no-device the clerk sets the app up at the first sign-in instead.
Without --password a random one is generated and printed once.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sumida_kokuho.roles import Role, create_staff_member


class Command(BaseCommand):
    help = "Create a staff account in one role and print its TOTP enrolment URI."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[role.value for role in Role])
        parser.add_argument("--password", help="At least 12 characters; generated if omitted.")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--no-device",
            action="store_true",
            help="Create no TOTP device: the clerk sets one up at the first sign-in.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        if get_user_model()._default_manager.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        password = options["password"] or secrets.token_urlsafe(12)
        try:
            user, device = create_staff_member(
                username=username,
                role=Role(options["role"]),
                password=password,
                email=options["email"],
                with_device=not options["no_device"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"Created staff user {user.get_username()} (role {options['role']}).")
        if not options["password"]:
            self.stdout.write(f"Password (shown once): {password}")
        if device is None:
            self.stdout.write("No TOTP device: the authenticator app is set up at first sign-in.")
        else:
            self.stdout.write(f"TOTP enrolment URI: {device.config_url}")
