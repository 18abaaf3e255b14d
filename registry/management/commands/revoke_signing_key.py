from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from registry import pki

from ._root_options import add_root_arguments, root_passphrase


def instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Revoke a signing key from a given time and publish a new CRL. Signatures time-stamped before that time "
        "stay valid; later ones are refused. Revoking the current key rotates to a new one first. Needs the root key."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("kid", help="the key id (see /api/v1/keys/)")
        parser.add_argument("--reason", required=True, choices=sorted(pki.REVOCATION_REASONS))
        parser.add_argument("--at", type=instant, help="ISO 8601 revocation time, e.g. when the key was compromised (default: now)")
        add_root_arguments(parser)

    def handle(self, *args, **options) -> None:
        try:
            new_kid = pki.revoke_signing_key(
                options["kid"],
                reason=options["reason"],
                at=options["at"],
                root_dir=options["root_dir"],
                passphrase=root_passphrase(options),
            )
        except pki.SigningKeyError as exc:
            raise CommandError(str(exc)) from exc
        if new_kid:
            self.stdout.write(f"the revoked key was the current one: now signing with {new_kid}")
        self.stdout.write(self.style.SUCCESS(f"revoked {options['kid']} ({options['reason']}); new CRL in {pki.key_dir() / pki.CRL_FILE}"))
