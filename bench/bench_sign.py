"""Signing and transparency-log benchmark.

PDF: renders a three-page bilingual (English / 简体中文) PDF with WeasyPrint, signs it (PAdES,
ECDSA P-256) and verifies it, pinned to one CPU core; PRODUCT.md targets render + sign ≤ 1.0 s median.
Log: fills the transparency log to --entries entries, then times a single append, the tree head,
inclusion and consistency proofs (through the API views) and a full audit.

    .venv/bin/python bench/bench_sign.py                      # SQLite in a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helper_trust .venv/bin/python bench/bench_sign.py
    .venv/bin/python bench/bench_sign.py --entries 10000 --runs 5
"""

import argparse
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORKDIR = Path(tempfile.mkdtemp(prefix="bench-sign-"))
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{WORKDIR / 'bench.sqlite3'}"
os.environ.setdefault("VAR_DIR", str(WORKDIR / "var"))  # keys of this run only
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epd_platform.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from registry import signing, transparency  # noqa: E402
from registry.models import LogEntry, LogNode, LogState  # noqa: E402


def bilingual_html(pages: int = 3) -> str:
    rows = "".join(
        f"<tr><td>GWP-total 全球变暖潜势 {i}</td><td>kg CO₂ eq.</td>" + "".join(f"<td>{i * 1.234 + j:.3E}</td>" for j in range(8)) + "</tr>"
        for i in range(20 * pages)
    )
    return f"""<html lang="zh-Hans"><head><style>
    @page {{ size: A4; margin: 2cm; @bottom-center {{ content: "EPD-STEEL-2026-000123 · page " counter(page); font-size: 8pt; }} }}
    body {{ font-family: "Noto Sans CJK SC", sans-serif; font-size: 10pt; }}
    td {{ border: 1px solid #999; font-size: 7pt; }}
    </style></head><body>
    <h1>Environmental Product Declaration 环境产品声明</h1>
    <p>{"热轧带肋钢筋 Reinforcing steel B500B, scrap EAF route. 本产品采用电弧炉短流程工艺生产。" * 10 * pages}</p>
    <table>{rows}</table>
    <p>{"验证声明：本环境产品声明已由独立第三方根据 EN 15804+A2 与 ISO 14025 进行验证。" * 12 * pages}</p>
    </body></html>"""


def timed(function: Callable[[], object], runs: int) -> tuple[float, float, object]:
    """(median, max) in seconds, and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times), result


def report(name: str, median: float, worst: float) -> None:
    print(f"  {name:<42} median {median * 1000:8.2f} ms   max {worst * 1000:8.2f} ms")


def bench_pdf(runs: int) -> None:
    from weasyprint import HTML

    html = bilingual_html()
    pdf = HTML(string=html).write_pdf()  # warm up fonts and imports
    signing.sign_pdf(pdf)
    pages = len(HTML(string=html).render().pages)
    print(f"PDF: {pages} pages, {len(pdf) // 1024} KiB, {runs} runs, one core")
    report("render (WeasyPrint)", *timed(lambda: HTML(string=html).write_pdf(), runs)[:2])
    median, worst, signed = timed(lambda: signing.sign_pdf(pdf), runs)
    report("sign_pdf (PAdES, P-256)", median, worst)
    report("render + sign", *timed(lambda: signing.sign_pdf(HTML(string=html).write_pdf()), runs)[:2])
    median, worst, verdict = timed(lambda: signing.verify_pdf(signed), runs)
    report("verify_pdf (pyHanko validator)", median, worst)
    assert verdict.authentic, verdict.reasons
    document = {"registration_number": "EPD-STEEL-2026-000123", "results": {f"I{i}": {m: f"{i}.5" for m in "ABCD"} for i in range(40)}}
    median, worst, jws = timed(lambda: signing.sign_json(document), runs * 10)
    report("sign_json", median, worst)
    report("verify_json", *timed(lambda: signing.verify_json(document, jws), runs * 10)[:2])


def fill_log(entries: int) -> None:
    have = transparency.current_size()
    rng = random.Random(1)
    batch = 1000
    start = time.perf_counter()
    while have < entries:
        count = min(batch, entries - have)
        transparency.append_many(
            [
                {
                    "registration_number": f"EPD-STEEL-2026-{(have + i) // 4:06d}",
                    "version": 1,
                    "artefact": ("document.pdf", "epd.json", "openepd.json", "ilcd.xml")[(have + i) % 4],
                    "sha256": hashlib.sha256(rng.randbytes(16)).hexdigest(),
                    "event": "published",
                }
                for i in range(count)
            ]
        )
        have += count
    print(f"  filled to {have} entries in {time.perf_counter() - start:.1f} s (batches of {batch})")


def bench_log(entries: int, runs: int) -> None:
    print(f"Log on {connection.vendor}: {entries} entries")
    fill_log(entries)
    size = transparency.current_size()
    print(f"  rows: {LogEntry.objects.count()} entries, {LogNode.objects.count()} nodes")
    median, worst, _ = timed(
        lambda: transparency.append(
            registration_number="EPD-STEEL-2026-999999", version=1, artefact="document.pdf", sha256="0" * 64, event="revoked"
        ),
        runs,
    )
    report("append one entry (lock, 2-3 rows, sign head)", median, worst)
    size = transparency.current_size()
    client = Client()
    rng = random.Random(2)

    def get(path: str, params: dict | None = None) -> None:
        response = client.get(path, params or {})
        assert response.status_code == 200, response.content

    report("GET log/tree-head", *timed(lambda: get("/api/v1/log/tree-head"), runs * 10)[:2])
    report(
        "GET log/proof/inclusion (random leaf)",
        *timed(lambda: get("/api/v1/log/proof/inclusion", {"leaf_index": rng.randrange(size)}), runs * 10)[:2],
    )
    report(
        "GET log/proof/consistency (random first)",
        *timed(lambda: get("/api/v1/log/proof/consistency", {"first": rng.randrange(1, size)}), runs * 10)[:2],
    )
    report("GET log/entries (page of 1000)", *timed(lambda: get("/api/v1/log/entries", {"start": rng.randrange(size)}), runs)[:2])
    report("transparency.root_at(random size)", *timed(lambda: transparency.root_at(rng.randrange(1, size)), runs * 10)[:2])
    median, worst, problems = timed(transparency.audit_entries, 1)
    report("audit_entries (rehash every entry)", median, worst)
    assert problems == [], problems
    state = LogState.objects.get()
    assert transparency.root_at(size).hex() == state.root_hash


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--skip-pdf", action="store_true")
    parser.add_argument("--skip-log", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    call_command("migrate", verbosity=0)
    if not args.skip_pdf:
        bench_pdf(args.runs)
    if not args.skip_log:
        bench_log(args.entries, args.runs)


if __name__ == "__main__":
    main()
