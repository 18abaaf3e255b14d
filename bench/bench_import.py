"""Bulk import benchmark (PRODUCT.md target: 1,000 declarations in under 60 s, with a progress bar).

Generates plausible filled-in XLSX templates in a temporary folder, then times
`manage.py import_declarations` over them.

    .venv/bin/python bench/bench_import.py                  # SQLite, in a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helper_imports .venv/bin/python bench/bench_import.py
    .venv/bin/python bench/bench_import.py --files 200      # fewer files
    .venv/bin/python bench/bench_import.py --jobs 1         # no reader processes
"""

import argparse
import io
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORKDIR = Path(tempfile.mkdtemp(prefix="bench-import-"))
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{WORKDIR / 'bench.sqlite3'}"
os.environ.setdefault("VAR_DIR", str(WORKDIR / "var"))  # keys and media of this run only
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epd_platform.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402

from accounts.models import Organization, User  # noqa: E402
from declarations import spreadsheet  # noqa: E402
from declarations.models import EPD, Declaration, Plant, Result  # noqa: E402
from declarations.samples import plausible_results  # noqa: E402

ORGANIZATION = "Bench Steel Works"
USERNAME = "bench_importer"
PRODUCTS = [
    ("long.rebar", "scrap_eaf", "Reinforcing steel B500B"),
    ("long.wirerod", "scrap_eaf", "Wire rod SAE 1008"),
    ("long.sections", "mixed", "Hot-rolled sections S355J2"),
    ("flat.hrc", "bf_bof", "Hot-rolled coil S235JR"),
    ("flat.plate", "bf_bof", "Heavy plate S355J2+N"),
    ("flat.crc", "dri_eaf", "Cold-rolled coil DC01"),
    ("stainless.flat", "scrap_eaf", "Stainless sheet 1.4301"),
]


def generate(folder: Path, count: int, seed: int) -> None:
    rng = random.Random(seed)
    for index in range(count):
        category, route, product = PRODUCTS[index % len(PRODUCTS)]
        sample = plausible_results(route, category, rng=rng, with_a4=index % 3 == 0)
        declaration = {
            "product_name": f"{product} ({index + 1:04d})",
            "category": category,
            "production_route": route,
            "recycled_content": sample.recycled_content,
            "declared_unit": "1 t",
            "pcr": "en17662",
            "lca_software": "LCA for Experts 10.7",
            "background_database": "Sphera MLC 2024.1",
            "reference_year": 2025,
            "c2_distance_km": 100,
            "plant_name": f"Works {index % 7 + 1}",
            "plant_country": "CN",
            "plant_city": "Tangshan",
        }
        content = spreadsheet.build_template("xlsx", results=sample.results, declaration=declaration)
        (folder / f"declaration-{index + 1:04d}.xlsx").write_bytes(content)


def prepare() -> None:
    call_command("migrate", verbosity=0)
    organization, _ = Organization.objects.get_or_create(name=ORGANIZATION, defaults={"kind": "producer", "country": "CN"})
    User.objects.get_or_create(username=USERNAME, defaults={"organization": organization})
    # A re-run on the same database starts from an empty organization.
    Result.objects.filter(declaration__epd__organization=organization).delete()
    Plant.objects.filter(declaration__epd__organization=organization).delete()
    Declaration.objects.filter(epd__organization=organization).delete()
    EPD.objects.filter(organization=organization).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--jobs", type=int, default=None, help="the command's --jobs (default: its own)")
    parser.add_argument("--keep", action="store_true", help=f"keep the generated files (in {WORKDIR})")
    args = parser.parse_args()
    try:
        run(args)
    finally:
        connections.close_all()
        if not args.keep:
            shutil.rmtree(WORKDIR, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    database = settings.DATABASES["default"]
    print(f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}")
    prepare()
    folder = WORKDIR / "files"
    folder.mkdir()
    started = time.perf_counter()
    generate(folder, args.files, args.seed)
    print(f"generated {args.files} workbooks in {time.perf_counter() - started:.1f} s ({folder})")

    out = io.StringIO()
    started = time.perf_counter()
    jobs = {} if args.jobs is None else {"jobs": args.jobs}
    call_command("import_declarations", str(folder), user=USERNAME, organization=ORGANIZATION, stdout=out, **jobs)
    seconds = time.perf_counter() - started
    print(out.getvalue().strip())
    created = Declaration.objects.filter(epd__organization__name=ORGANIZATION).count()
    print(f"files: {args.files}  created: {created}  total: {seconds:.1f} s  rate: {args.files / seconds:.1f} files/s")
    print("target: 1,000 declarations in under 60 s:", "met" if created == args.files and seconds * 1000 / args.files < 60 else "NOT met")


if __name__ == "__main__":
    main()
