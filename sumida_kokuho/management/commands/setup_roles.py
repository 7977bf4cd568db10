"""`manage.py setup_roles`: create the staff role groups and set their permissions.

`migrate` does the same after every run (post_migrate); this command is for checking the result
and for databases whose groups were edited by hand.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser

from sumida_kokuho.roles import Role, sync_roles


class Command(BaseCommand):
    help = "Create the staff role groups (counter, supervisor, admin) and set their permissions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default", help="Database alias.")

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        missing = sync_roles(using)
        for role in Role:
            group = Group.objects.using(using).get(name=role.value)
            self.stdout.write(f"{role.value}: {group.permissions.count()} permissions")
            for name in missing[role]:
                # A model that is not there yet (parts of the system land one at a time).
                self.stderr.write(self.style.WARNING(f"  {role.value}: no permission {name}"))
        self.stdout.write(self.style.SUCCESS("Roles are set up."))
