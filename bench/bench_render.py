"""Render time of a published EPD's PDF (registry.pdf.render_pdf): median and p90 after a warm-up, one process.

    .venv/bin/python bench/bench_render.py [--runs 10] [--out /tmp/epd.pdf]

The target (docs/benchmarks.md, PRODUCT.md) is render + sign ≤ 1.0 s median on one core; signing adds ~0.1 s.
"""

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epd_platform.settings")

import django

django.setup()

from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: E402

from declarations.samples import sample_document  # noqa: E402
from registry.pdf import render_pdf  # noqa: E402


def page_count(pdf: bytes) -> int:
    return int(PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Count"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--out", type=Path, help="write the last PDF here")
    args = parser.parse_args()

    document = sample_document()
    started = time.perf_counter()
    pdf = render_pdf(document)
    warm_up = time.perf_counter() - started

    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        pdf = render_pdf(document)
        timings.append(time.perf_counter() - started)

    timings.sort()
    p90 = timings[min(len(timings) - 1, round(0.9 * (len(timings) - 1)))]
    print(f"render_pdf: {args.runs} runs after a warm-up of {warm_up:.3f} s")
    print(f"median {statistics.median(timings):.3f} s  p90 {p90:.3f} s  min {timings[0]:.3f} s  max {timings[-1]:.3f} s")
    print(f"pages {page_count(pdf)}  size {len(pdf) / 1024:.0f} KiB")
    if args.out:
        args.out.write_bytes(pdf)
        print(f"written to {args.out}")


if __name__ == "__main__":
    main()
