"""How fast hand-over merges chunk print files into one print file per kind, and in how much
memory: the project's streaming merger (notices/batch/merging.py) next to pypdf's PdfWriter.

    .venv/bin/python bench/print_merge.py       # 20 chunks of 1,000 cards: 40,000 pages
    .venv/bin/python bench/print_merge.py --chunks 100 --docs 2000 --skip-pypdf   # 400,000 pages

One chunk file is rendered (ReportLab, the project's renderer) and merged --chunks times, pages
interleaved across chunks as after a retry. Each method runs in a child process so that its
peak memory (ru_maxrss) is its own. Needs no database; writes to a temporary folder.
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


def render(path: Path, docs: int) -> int:
    from reportlab import rl_config

    from notices.documents import render_many
    from notices.documents.snapshots import CertificateSnapshot

    rl_config.invariant = 1
    cards = (
        CertificateSnapshot(
            insurer_number="131078",
            insurer_name="墨田区",
            symbol="9300",
            number=f"{n:06d}",
            branch="01",
            family_name="髙橋",
            given_name="花子",
            birth_date=date(1980, 1, 1),
            issued_on=date(2026, 11, 25),
            certificate_number=f"2026-{n:07d}",
            valid_until=date(2027, 9, 30),
            postal_code="130-0001",
            address="墨田区吾妻橋1-23-20",
        )
        for n in range(docs)
    )
    return render_many(cards, path).pages


def child(method: str, folder: Path, chunks: int, pages: int) -> None:
    sources = [folder / f"chunk-{i:03d}.pdf" for i in range(chunks)]
    out = folder / f"merged-{method}.pdf"
    start = time.perf_counter()
    if method == "stream":
        from notices.batch.merging import PageRun, merge

        half = pages // 2
        # First halves of every chunk, then the second halves: the page tree does the order.
        order = [PageRun(i, 0, half) for i in range(chunks)]
        order += [PageRun(i, half, pages) for i in range(chunks)]
        merge(sources, order, out)
    else:
        from pypdf import PdfWriter

        writer = PdfWriter()
        for source in sources:
            writer.append(source)
        with out.open("wb") as handle:
            writer.write(handle)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = chunks * pages
    print(
        f"{method:7s} {total:>9,} pages  {seconds:7.2f} s  {total / seconds:>9,.0f} pages/s  "
        f"peak RSS {peak:6.0f} MB  file {out.stat().st_size / 1e6:7.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=20)
    parser.add_argument("--docs", type=int, default=1000, help="certificates per chunk (2 pages)")
    parser.add_argument("--skip-pypdf", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("METHOD", "FOLDER", "PAGES"))
    args = parser.parse_args()
    if args.child:
        method, folder, pages = args.child
        child(method, Path(folder), args.chunks, int(pages))
        return
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        pages = render(folder / "chunk-000.pdf", args.docs)
        data = (folder / "chunk-000.pdf").read_bytes()
        for i in range(1, args.chunks):
            (folder / f"chunk-{i:03d}.pdf").write_bytes(data)
        print(f"{args.chunks} chunk files of {pages} pages ({len(data) / 1e6:.1f} MB each)")
        for method in ("stream", *(() if args.skip_pypdf else ("pypdf",))):
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--chunks",
                    str(args.chunks),
                    "--child",
                    method,
                    str(folder),
                    str(pages),
                ],
                check=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            subprocess.run(
                ["pdfinfo", folder / f"merged-{method}.pdf"], check=False, capture_output=True
            )


if __name__ == "__main__":
    main()
