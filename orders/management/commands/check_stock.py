import time

from django.core.management.base import BaseCommand, CommandError

from inventory.selectors import stock_level_drifts
from orders.selectors import line_reservation_drifts
from retailers.models import Retailer


class Command(BaseCommand):
    help = (
        "Verify that every stock level equals the sum of its movements (on_hand and "
        "reserved) and, with --lines, that order lines hold what the ledger reserved for "
        "them. Reports each drift; exits 1 when there is any, 0 when the stock is clean."
    )

    def add_arguments(self, parser):
        parser.add_argument("--retailer", metavar="SLUG", help="Check one retailer only.")
        parser.add_argument(
            "--lines",
            action="store_true",
            help="Also compare order lines' reserved_quantity with the ledger (slower).",
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=5000,
            help="Levels read per query (orders: four times as many).",
        )

    def handle(self, *args, retailer=None, lines=False, chunk_size=5000, verbosity=1, **options):
        scope = None
        if retailer:
            scope = Retailer.objects.filter(slug=retailer).first()
            if scope is None:
                raise CommandError(f"No retailer {retailer!r}.")
        progress = self._progress if verbosity >= 1 else None

        started = time.monotonic()
        self._what = "levels"
        drifts = stock_level_drifts(retailer=scope, chunk_size=chunk_size, progress=progress)
        if lines:
            self._what = "orders"
            drifts += line_reservation_drifts(
                retailer=scope, chunk_size=chunk_size * 4, progress=progress
            )
        for drift in drifts:
            self.stdout.write(f"DRIFT {drift}")
        elapsed = time.monotonic() - started
        if drifts:
            raise CommandError(f"Stock drift found in {len(drifts)} place(s) ({elapsed:.1f}s).")
        self.stdout.write(
            self.style.SUCCESS(f"Stock is consistent with its ledger ({elapsed:.1f}s).")
        )

    def _progress(self, done, total):
        self.stderr.write(f"checked {done:,}/{total:,} {self._what}")
