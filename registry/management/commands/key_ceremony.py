from django.core.management.base import BaseCommand, CommandError

from registry import pki

from ._root_options import add_root_arguments, root_passphrase


class Command(BaseCommand):
    help = (
        "Create the platform's root CA offline: its key and certificate go to --root-dir (removable media, kept "
        "offline afterwards), and the key directory (SIGNING_KEY_DIR) receives only what signing needs: the root "
        "certificate, a signing key and certificate, the time-stamping key and certificate, and the CRL."
    )

    def add_arguments(self, parser) -> None:
        add_root_arguments(parser, required=True)

    def handle(self, *args, **options) -> None:
        root_dir = options["root_dir"]
        try:
            kid = pki.key_ceremony(root_dir, root_passphrase(options))
        except pki.SigningKeyError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"root key and certificate written to {root_dir}: take it offline now")
        self.stdout.write(f"key directory {pki.key_dir()}: signing key {kid}, time-stamping key, CRL (no root key)")
        self.stdout.write(self.style.SUCCESS(f"signing with {kid}"))
