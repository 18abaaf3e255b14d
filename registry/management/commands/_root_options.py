"""The options every command that needs the root key shares: where the offline root is, and its passphrase."""

import getpass
import os
from pathlib import Path

from django.core.management.base import CommandError, CommandParser


def add_root_arguments(parser: CommandParser, *, required: bool = False) -> None:
    parser.add_argument(
        "--root-dir",
        type=Path,
        required=required,
        help="the offline root directory (removable media) from key_ceremony; default: the key directory (embedded default)",
    )
    passphrase = parser.add_mutually_exclusive_group()
    passphrase.add_argument("--passphrase-file", type=Path, help="read the root key's passphrase from this file")
    passphrase.add_argument("--ask-passphrase", action="store_true", help="prompt for the root key's passphrase")


def root_passphrase(options: dict) -> bytes | None:
    if options.get("passphrase_file"):
        try:
            return options["passphrase_file"].read_bytes().rstrip(b"\r\n") or None
        except OSError as exc:
            raise CommandError(f"cannot read the passphrase: {exc}") from exc
    if options.get("ask_passphrase"):
        return getpass.getpass("Root key passphrase: ").encode() or None
    return os.environb.get(b"ROOT_KEY_PASSPHRASE") or None
