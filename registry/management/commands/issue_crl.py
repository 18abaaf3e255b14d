from django.core.management.base import BaseCommand, CommandError

from registry import pki

from ._root_options import add_root_arguments, root_passphrase


class Command(BaseCommand):
    help = "Sign a fresh CRL with the root key; run it before the current CRL's next update (docs/operations.md)."

    def add_arguments(self, parser) -> None:
        add_root_arguments(parser)

    def handle(self, *args, **options) -> None:
        try:
            crl = pki.issue_crl(options["root_dir"], root_passphrase(options))
        except pki.SigningKeyError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"CRL issued, valid until {crl.next_update_utc:%Y-%m-%d %H:%M} UTC"))
