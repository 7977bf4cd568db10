"""How fast the issuance batch plans and executes, on the configured database.

    createdb -h 127.0.0.1 -U postgres sumida_batch_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sumida_batch_bench \\
        .venv/bin/python bench/batch.py --persons 20000

Migrates, seeds N persons with `seed_demo --persons N` (topped up only), deletes earlier bench
runs (their documents stay: use a fresh database for repeatable figures), then:
1. plans a run with 1 and then 2 processes (`--plan-workers 1,2`; persons/s, peak RSS);
2. executes half the chunks with 1 worker process, the other half with 2 at once
   (documents/s issued *and* rendered into the print files; peak RSS of the workers);
3. renders every print file again from the stored snapshots, in 1 and then 2 processes
   (documents/s rendered into merged files: the rendering alone).
Use a database of its own.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sumida_kokuho.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("TASKS_BACKEND", "immediate")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from notices.batch.planning import approve_run, plan_run  # noqa: E402
from notices.batch.rendering import _render  # noqa: E402
from notices.batch.tasks import start_run  # noqa: E402
from notices.models import IssuanceChunk, IssuanceItem, IssuanceRun  # noqa: E402


def rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (not the database server's): on a
    shared machine wall-clock rates fall with the load, CPU rates much less."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def workers(run_id: int, count: int, max_chunks: int | None) -> float:
    args = [
        sys.executable,
        str(ROOT / "manage.py"),
        "execute_run",
        str(run_id),
        "--inline",
        "--no-progress",
    ]
    if max_chunks:
        args += ["--max-chunks", str(max_chunks)]
    start = time.perf_counter()
    procs = [subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL) for _ in range(count)]
    for p in procs:
        p.wait()
    return time.perf_counter() - start


def render_only(chunk_ids: list[int], out: Path) -> int:
    documents = 0
    for chunk in IssuanceChunk.objects.filter(pk__in=chunk_ids):
        items = IssuanceItem.objects.filter(chunk=chunk, status="done").order_by("position")
        if items.exists():
            documents += _render(chunk.document, items, out / f"{chunk.pk}.pdf").documents
    return documents


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=20000)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 25))
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument(
        "--plan-workers",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 2],
        help="plan once per count of processes, e.g. 1,2 (the last plan is executed)",
    )
    parser.add_argument("--render-child", nargs="*", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render_child is not None:
        with tempfile.TemporaryDirectory() as tmp:
            print(render_only(args.render_child, Path(tmp)))
        return

    call_command("migrate", verbosity=0)
    t = time.perf_counter()
    # In a process of its own, so that the peak RSS printed below is planning's, not seeding's.
    subprocess.run(  # noqa: S603
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "seed_demo",
            "--persons",
            str(args.persons),
            "--as-of",
            args.as_of.isoformat(),
            "--no-admin",
            "--verbosity",
            "0",
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"seeded/topped up to {args.persons} persons in {time.perf_counter() - t:.1f} s")
    plan_figures = []
    for count in args.plan_workers:
        IssuanceRun.objects.filter(kind=IssuanceRun.Kind.ON_DEMAND).delete()
        t, cpu = time.perf_counter(), cpu_seconds()
        run = plan_run(
            period=args.as_of,
            kind=IssuanceRun.Kind.ON_DEMAND,
            as_of=args.as_of,
            by=None,
            chunk_size=args.chunk_size,
            workers=count,
        ).run
        planning, cpu = time.perf_counter() - t, cpu_seconds() - cpu
        plan_figures.append((count, run.assessed / planning))
        print(
            f"plan, {count} process(es): {run.assessed:,} persons in {planning:.1f} s = "
            f"{run.assessed / planning:,.0f} persons/s ({run.assessed / cpu:,.0f} per CPU-second "
            f"of Python, {cpu:.1f} s); {run.planned:,} documents due; "
            f"peak RSS {rss_mb():.0f} MB (this process; the workers hold one key range each)"
        )
    print(f"documents due by reason: {run.counts}")
    if len(plan_figures) > 1:
        (w1, r1), (w2, r2) = plan_figures[0], plan_figures[-1]
        print(f"plan speed-up {w2} vs {w1} process(es): {r2 / r1:.2f}x")

    from django.conf import settings

    settings.BATCH_FOUR_EYES = False
    approve_run(run=run, by=None)
    start_run(run=run, by=None, enqueue=False)
    chunks = IssuanceChunk.objects.filter(run=run).count()
    half = max(1, chunks // 2)
    cpu = cpu_seconds()
    one = workers(run.pk, 1, half)
    cpu1 = cpu_seconds() - cpu
    done1 = IssuanceItem.objects.filter(run=run, status__in=["done", "failed"]).count()
    cpu = cpu_seconds()
    two = workers(run.pk, 2, None)
    cpu2 = cpu_seconds() - cpu
    done2 = IssuanceItem.objects.filter(run=run, status__in=["done", "failed"]).count() - done1
    failed = IssuanceItem.objects.filter(run=run, status="failed").count()
    print(
        f"execute (issue + render into print files), {chunks} chunks: 1 worker "
        f"{done1 / one:,.0f} docs/s ({done1} in {one:.1f} s); 2 workers {done2 / two:,.0f} docs/s"
        f" ({done2} in {two:.1f} s); speed-up {done2 / two / max(done1 / one, 1e-9):.2f}x; "
        f"failed {failed}; peak worker RSS {rss_mb(resource.RUSAGE_CHILDREN):.0f} MB; "
        f"{(done1 + done2) / (cpu1 + cpu2):,.0f} docs per CPU-second of the workers (start-up "
        f"included)"
    )

    ids = list(IssuanceChunk.objects.filter(run=run).order_by("seq").values_list("pk", flat=True))
    child = [sys.executable, __file__, "--render-child"]
    t = time.perf_counter()
    docs = int(subprocess.check_output([*child, *map(str, ids)], cwd=ROOT))
    r1 = time.perf_counter() - t
    t = time.perf_counter()
    procs = [
        subprocess.Popen([*child, *map(str, ids[i::2])], cwd=ROOT, stdout=subprocess.PIPE)
        for i in range(2)
    ]
    docs2 = sum(int(p.communicate()[0]) for p in procs)
    r2 = time.perf_counter() - t
    print(
        f"render only (print files from stored snapshots, mixed kinds): 1 process "
        f"{docs / r1:,.0f} docs/s ({docs} in {r1:.1f} s incl. start-up); 2 processes "
        f"{docs2 / r2:,.0f} docs/s; peak RSS {rss_mb(resource.RUSAGE_CHILDREN):.0f} MB"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
