"""Shared pieces of the batch commands: the acting user, finding a run, a progress bar."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from notices.models import IssuanceRun
from sumida_kokuho.wareki import DateParseError, parse_month


def add_run_arguments(parser: CommandParser) -> None:
    parser.add_argument("run", nargs="?", type=int, help="the run's id")
    parser.add_argument("--period", help="instead of an id: the run's month, YYYY-MM")
    parser.add_argument("--kind", default=IssuanceRun.Kind.MONTHLY, choices=IssuanceRun.Kind.values)
    parser.add_argument("--by", help="user name recorded as the actor")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def parse_period(text: str) -> date:
    """The run's month, written as on the planning page (2026-12, R8.12, 令和8年12月)."""
    try:
        return parse_month(text)
    except DateParseError:
        raise CommandError(_("Give the period as YYYY-MM, e.g. 2026-12.")) from None


def parse_day(text: str | None) -> date:
    if not text:
        return timezone.localdate()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(_("Give the date as YYYY-MM-DD.")) from None


def actor(username: str | None) -> Any:
    if not username:
        return None
    user = get_user_model()._default_manager.filter(username=username).first()
    if user is None:
        raise CommandError(_("No user named %(name)s.") % {"name": username})
    return user


def find_run(options: dict[str, Any]) -> IssuanceRun:
    runs = IssuanceRun.objects.all()
    if options.get("run"):
        run = runs.filter(pk=options["run"]).first()
    elif options.get("period"):
        run = runs.filter(period=parse_period(options["period"]), kind=options["kind"]).first()
    else:
        raise CommandError(_("Name the run: its id, or --period YYYY-MM [--kind …]."))
    if run is None:
        raise CommandError(_("No such run."))
    return run


class Bar:
    """A one-line progress bar on a terminal (plain lines otherwise)."""

    def __init__(self, stream: TextIO, label: str, enabled: bool = True) -> None:
        self.stream, self.label, self.enabled = stream, label, enabled
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.last = -1

    def __call__(self, done: int, total: int, extra: str = "") -> None:
        if not self.enabled:
            return
        percent = 100 if not total else int(100 * done / total)
        if not self.tty and percent == self.last:
            return
        self.last = percent
        filled = percent * 30 // 100
        bar = "#" * filled + "." * (30 - filled)
        line = f"{self.label} [{bar}] {percent:3d}% {done}/{total} {extra}"
        if self.tty:
            self.stream.write("\r" + line)
        elif percent % 10 == 0:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")


def stdout_bar(label: str, enabled: bool) -> Bar:
    return Bar(sys.stderr, label, enabled)
