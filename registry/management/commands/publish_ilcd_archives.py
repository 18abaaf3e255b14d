"""`manage.py publish_ilcd_archives`: give every publication made before ilcd.zip existed its ILCD ZIP.

Run on deploy after `migrate` (and by `seed_demo`); it does nothing for publications that have one.
"""

from django.core.management.base import BaseCommand

from registry import publishing
from registry.exports import ExportError
from registry.models import Publication


class Command(BaseCommand):
    help = "Build, store, log and index the ILCD ZIP (ilcd.zip) of publications that have none."

    def handle(self, *args, **options):
        added = failed = 0
        for pk in publishing.publications_without_ilcd_archive():
            publication = Publication.objects.get(pk=pk)
            try:
                added += publishing.add_ilcd_archive(publication)
            except (ExportError, ValueError) as exc:
                failed += 1
                self.stderr.write(f"{publication}: {exc}")
        self.stdout.write(f"ILCD ZIPs added: {added}; failed: {failed}")
        if failed:
            raise SystemExit(1)
