"""Publish time of a three-page bilingual EPD: render the PDF, sign it (PAdES) and the JSON documents
(JWS), build openEPD and ILCD, store the artefacts, commit with the log entries. Median after a warm-up.

    taskset -c 0 .venv/bin/python bench/bench_publish.py [--runs 10]

Runs on a scratch SQLite database, media and key directory under a temporary directory (the embedded
default), loads the demo data, then publishes new versions of a demo EPD one after another and times
registry.publishing.publish() alone. Target (issue 4): median ≤ 1.0 s on one core.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
scratch = Path(tempfile.mkdtemp(prefix="bench-publish-"))
for name in ("DATABASE_URL", "REDIS_URL"):
    os.environ.pop(name, None)
os.environ.update(
    DJANGO_SETTINGS_MODULE="epd_platform.settings",
    DATABASE_URL=f"sqlite:///{scratch / 'db.sqlite3'}",
    MEDIA_ROOT=str(scratch / "media"),
    SIGNING_KEY_DIR=str(scratch / "keys"),
    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
)

import django  # noqa: E402

django.setup()

from celery import current_app  # noqa: E402
from django.core.management import call_command  # noqa: E402
from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: E402

from accounts.models import User  # noqa: E402
from declarations import editing, workflow  # noqa: E402
from declarations.models import Declaration  # noqa: E402
from registry import publishing  # noqa: E402
from registry.models import ArtefactName  # noqa: E402
from verification import checks, review  # noqa: E402


def approved_new_version(previous: Declaration) -> Declaration:
    """Untimed: the next version of the demo EPD, through checks and review to approved (no publish yet)."""
    mill, verifier, operator = (User.objects.get(username=name) for name in ("mill", "verifier", "operator"))
    draft = editing.start_new_version(previous, actor=mill)
    draft, _ = workflow.submit(draft, actor=mill)
    checks.run_checks(draft)
    draft.refresh_from_db()
    review.assign(draft, verifier, by=operator)
    review.update_checklist(draft, verifier=verifier, items=dict.fromkeys(review.CHECKLIST, True))
    for finding in review.latest_check_run(draft).findings.filter(severity="warning"):
        review.acknowledge(finding, verifier=verifier, comment="ok")
    return review.approve(draft, verifier=verifier)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", quiet=True, stdout=quiet)
    # From here tasks queue to the in-memory broker and nobody runs them: we call and time publish() ourselves.
    current_app.conf.task_always_eager = False
    current = Declaration.objects.filter(status="published", product_name="Hot-rolled coil S355MC").get()
    times = []
    for run in range(args.runs + 1):  # the first run warms up fonts and imports
        declaration = approved_new_version(current)
        started = time.perf_counter()
        publication = publishing.publish(declaration.pk)
        elapsed = time.perf_counter() - started
        if run:
            times.append(elapsed)
        current = Declaration.objects.get(pk=declaration.pk)
    with publication.artefacts.get(name=ArtefactName.PDF).file.open("rb") as pdf:
        pages = int(PdfFileReader(pdf).root["/Pages"]["/Count"])
    times.sort()
    print(f"publish (render + sign + openEPD + ILCD + store + commit), {pages}-page bilingual PDF, {len(times)} runs:")
    p90 = times[int(0.9 * (len(times) - 1))]
    print(f"  median {statistics.median(times):.3f} s   p90 {p90:.3f} s   min {times[0]:.3f} s   max {times[-1]:.3f} s")
    print(f"  target median <= 1.0 s: {'met' if statistics.median(times) <= 1.0 else 'MISSED'}")


if __name__ == "__main__":
    main()
