"""`manage.py execute_run RUN`: issue and print an approved run.

    python manage.py execute_run 12 --by admin            # enqueue; db_worker processes run it
    python manage.py execute_run 12 --by admin --wait     # … and show progress until it is done
    python manage.py execute_run 12 --by admin --inline   # work in this process (no workers)
    python manage.py execute_run 12 --reclaim --inline    # after a crash: take over at once

Running it again resumes: only chunks not done are enqueued, and nothing is issued twice.
`--retry-failed` puts the failed items back first.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from notices.batch.claiming import release_leases
from notices.batch.cli import actor, add_run_arguments, find_run, stdout_bar
from notices.batch.progress import failures, retry_failed, run_progress
from notices.batch.tasks import NotApproved, start_run, work_inline
from notices.models import IssuanceRun


class Command(BaseCommand):
    help = "Execute an approved issuance run (resumes a run that was interrupted)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_run_arguments(parser)
        parser.add_argument("--inline", action="store_true", help="work in this process")
        parser.add_argument("--wait", action="store_true", help="wait for the workers")
        parser.add_argument(
            "--reclaim",
            action="store_true",
            help="release chunks held by workers (only when no worker is running)",
        )
        parser.add_argument("--max-chunks", type=int, help="with --inline: stop after N chunks")
        parser.add_argument("--retry-failed", action="store_true", help="retry failed items")
        parser.add_argument("--dry-run", action="store_true", help="show what is left")

    def handle(self, *args: Any, **options: Any) -> None:
        run = find_run(options)
        by = actor(options["by"])
        if options["dry_run"]:
            self._summary(run)
            return
        if options["reclaim"]:
            released = release_leases(run.pk)
            self.stdout.write(_("Released %(n)s chunks.") % {"n": released})
        try:
            if options["retry_failed"]:
                retried = retry_failed(run=run, by=by)
                self.stdout.write(_("%(n)s failed items will be retried.") % {"n": retried})
            enqueued = start_run(run=run, by=by, enqueue=not options["inline"])
        except NotApproved as error:
            raise CommandError(
                _("The run is not approved (status: %(s)s).") % {"s": error}
            ) from None
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        bar = stdout_bar(_("Issuing"), not options["no_progress"])
        if options["inline"]:
            work_inline(run.pk, max_chunks=options["max_chunks"])
        elif options["wait"]:
            self.stdout.write(_("Enqueued %(n)s chunks; waiting for workers.") % {"n": enqueued})
            while True:
                progress = run_progress(run)
                bar(progress.done + progress.failed, progress.planned)
                if progress.status != IssuanceRun.Status.RUNNING:
                    break
                time.sleep(1)
        else:
            self.stdout.write(
                _("Enqueued %(n)s chunks; run `manage.py db_worker --queue-name issuance`.")
                % {"n": enqueued}
            )
        progress = run_progress(run)
        bar(progress.done + progress.failed, progress.planned)
        bar.close()
        self._summary(run)
        if (
            options["inline"]
            and not options["max_chunks"]
            and progress.status == IssuanceRun.Status.RUNNING
        ):
            raise CommandError(_("Some chunks are held by other workers; run again later."))

    def _summary(self, run: IssuanceRun) -> None:
        p = run_progress(run)
        self.stdout.write(
            _(
                "Run %(id)s: %(status)s; %(done)s done, %(failed)s failed, %(pending)s pending "
                "of %(planned)s; chunks %(cd)s/%(c)s."
            )
            % {
                "id": run.pk,
                "status": p.status,
                "done": p.done,
                "failed": p.failed,
                "pending": p.pending + p.issued,
                "planned": p.planned,
                "cd": p.chunks_done,
                "c": p.chunks,
            }
        )
        for item in failures(run, limit=50):
            self.stdout.write(f"  {_('failed')}: {item.person.insured_number} {item.error}")
