from django.core.management.base import BaseCommand

from registry import signing


class Command(BaseCommand):
    help = (
        "Make a new signing key and certificate under the same root and retire the current one. "
        "Retired keys stay in the JWKS, so everything signed with them still verifies."
    )

    def handle(self, *args, **options) -> None:
        old_kid, new_kid = signing.rotate_signing_key()
        self.stdout.write(f"retired {old_kid}")
        self.stdout.write(self.style.SUCCESS(f"signing with {new_kid}"))
