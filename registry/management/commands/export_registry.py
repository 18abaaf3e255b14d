from django.core.management.base import BaseCommand
from tqdm import tqdm

from registry.exports_bulk import write_export
from registry.models import RegistryEntry, RegistryStatus


class Command(BaseCommand):
    help = "Write the bulk export (JSON Lines, gzip) of every valid EPD; the beat task runs it nightly."

    def handle(self, *args, **options):
        total = RegistryEntry.objects.filter(status=RegistryStatus.VALID, is_latest=True).count()
        with tqdm(total=total, unit="EPDs", disable=None) as bar:
            count = write_export(progress=bar.update)
        self.stdout.write(self.style.SUCCESS(f"{count} EPDs written to exports/epds.jsonl.gz"))
