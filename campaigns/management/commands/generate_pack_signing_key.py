import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from campaigns.packs import keys


class Command(BaseCommand):
    help = ("Make a new Ed25519 key pair for signing briefing packs: the private key is written to a new file "
            "readable by its owner only (0600), never to the database; its path and the public key are printed. "
            "Point PACK_SIGNING_KEY_FILE at it (or put its contents in PACK_SIGNING_KEY) on every web process and "
            "worker. With --retire-current, the key in use now is first kept among the earlier keys "
            "(PACK_SIGNING_OLD_KEYS_DIR), valid from PACK_SIGNING_KEY_SINCE until today, so the packs it signed "
            "still verify.")

    def add_arguments(self, parser):
        parser.add_argument("--out", default=settings.PACK_SIGNING_KEY_FILE,
                            help="where to write the private key (default: PACK_SIGNING_KEY_FILE); never overwritten")
        parser.add_argument("--retire-current", action="store_true",
                            help="keep the current public key among the earlier keys first (a rotation)")

    def handle(self, *args, out, retire_current, **options):
        if Path(out).exists():
            raise CommandError(f"{out} exists already: a signing key is never overwritten. Name another file "
                               f"with --out.")
        if retire_current:
            retired = keys.retire_current_key(until=datetime.date.today())
            self.stdout.write(f"Kept the current public key as {retired}")
        pem = keys.new_private_key_pem()
        try:
            keys.write_private_key(out, pem)
        except FileExistsError as exc:
            raise CommandError(f"{out} exists already: a signing key is never overwritten. Name another file "
                               f"with --out.") from exc
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc}") from exc
        public_key = keys.public_key_of(pem)
        self.stdout.write(f"Private key written to {out} (mode 0600). Set PACK_SIGNING_KEY_FILE={out} and "
                          f"PACK_SIGNING_KEY_SINCE={datetime.date.today().isoformat()} on every web process and "
                          f"worker, then restart them.")
        self.stdout.write(f"Public key, SHA-256 fingerprint {keys.fingerprint(public_key)}:")
        self.stdout.write(keys.public_pem(public_key).decode(), ending="")
