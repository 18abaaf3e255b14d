from django.core.management.base import BaseCommand, CommandError

from registry import pki

from ._root_options import add_root_arguments, root_passphrase


class Command(BaseCommand):
    help = (
        "Make a new signing key and certificate under the same root and retire the current one. "
        "Retired keys stay in the JWKS, so everything signed with them still verifies. Needs the root key."
    )

    def add_arguments(self, parser) -> None:
        add_root_arguments(parser)

    def handle(self, *args, **options) -> None:
        try:
            old_kid, new_kid = pki.rotate_signing_key(options["root_dir"], root_passphrase(options))
        except pki.SigningKeyError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"retired {old_kid}")
        self.stdout.write(self.style.SUCCESS(f"signing with {new_kid}"))
