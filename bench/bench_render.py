"""Render time of a published EPD's PDF (registry.pdf.render_pdf): median and p90 after a warm-up, one process.

    .venv/bin/python bench/bench_render.py [--runs 10] [--out /tmp/epd.pdf] [--also A4]

It renders as publishing does: tagged PDF/A-3b carrying the signed JSON documents. `--also A4` declares more
modules; with A4 the normal layout leaves a stub on a fourth page, so the tighter layout is laid out too.

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
from registry.exports import openepd_document  # noqa: E402
from registry.pdf import machine_readable_files, render_pdf  # noqa: E402
from registry.signing import canonical_json  # noqa: E402


def page_count(pdf: bytes) -> int:
    return int(PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Count"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--out", type=Path, help="write the last PDF here")
    parser.add_argument("--also", nargs="*", default=[], help="modules declared besides A1-A3, C1-C4 and D")
    args = parser.parse_args()

    document = sample_document()
    document["lca"]["declared_modules"] = ["A1-A3", *args.also, "C1", "C2", "C3", "C4", "D"]
    embedded = machine_readable_files(canonical_json(document), canonical_json(openepd_document(document)))
    started = time.perf_counter()
    pdf = render_pdf(document, embedded=embedded)
    warm_up = time.perf_counter() - started

    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        pdf = render_pdf(document, embedded=embedded)
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
