import contextlib
import gc
import json
import multiprocessing
import queue
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections

from kernel.actors import Actor
from orders.importer import BatchResult, OrderImporter, imports_make_durable

PROGRESS_EVERY = 2.0  # seconds


class Command(BaseCommand):
    help = (
        "Import orders from a JSON-lines file: one order per line, shaped like the "
        'PUT /api/v1/orders/{external_id} body plus its "external_id" (and "retailer", '
        "a slug, unless --retailer is given). New orders are written in bulk; existing "
        "ones are updated through the same service as the API, or skipped when nothing "
        "changed, so a file can be imported again safely. Bad lines are reported with "
        "their line number and errors and do not stop the import; the command then exits 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help='JSON-lines file, or "-" for standard input.')
        parser.add_argument("--retailer", metavar="SLUG", help="Retailer of every line.")
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="Orders per transaction (1000)."
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help=(
                "Processes importing in parallel (PostgreSQL only). Lines of one order "
                "always go to the same process, in file order."
            ),
        )
        parser.add_argument(
            "--notify-stock",
            action="store_true",
            help=(
                "Send inventory.adjusted webhooks for the reservations, one per SKU and "
                "warehouse per batch. Off by default: history the storefront migrates is "
                "already in its own stock system."
            ),
        )

    def handle(self, *args, **options):
        batch_size = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        workers = options["workers"]
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        if workers > 1 and connection.vendor != "postgresql":
            self.stderr.write(f"{connection.vendor} takes one writer at a time: using 1 worker.")
            workers = 1
        name = options["file"]
        if name != "-" and not Path(name).is_file():
            raise CommandError(f"No such file: {name}")
        settings = {
            "retailer_slug": options["retailer"],
            "actor_label": f"import_orders {Path(name).name if name != '-' else 'stdin'}",
            "announce_stock": options["notify_stock"],
        }

        self.verbosity = options["verbosity"]
        self.total = BatchResult()
        self.lines_read = 0
        self.started = self.last_report = time.monotonic()
        stream = sys.stdin if name == "-" else open(name, encoding="utf-8")  # noqa: SIM115
        try:
            batches = _batches(stream, batch_size)
            if workers == 1:
                importer = _importer(**settings)
                with _lean_gc():
                    for batch in batches:
                        self._record(len(batch), importer.import_batch(batch))
            else:
                self._run_in_processes(batches, workers, settings)
        finally:
            if stream is not sys.stdin:
                stream.close()
        _importer(**settings).finish(created=self.total.created)
        # The batches committed without waiting for the disk: what is reported below
        # must survive a database crash, so wait for all of them once, now.
        imports_make_durable()

        elapsed = time.monotonic() - self.started
        total = self.total
        self.stdout.write(
            f"Imported {total.imported:,} orders in {elapsed:.1f}s "
            f"({total.imported / elapsed if elapsed else 0:,.0f} orders/s): "
            f"{total.created:,} created, {total.updated:,} updated, "
            f"{total.unchanged:,} unchanged; {len(total.rejected):,} line(s) rejected."
        )
        if total.rejected:
            raise CommandError(f"{len(total.rejected):,} line(s) rejected, listed above.")

    def _record(self, lines, result: BatchResult) -> None:
        self.lines_read += lines
        self.total.add(result)
        for rejection in result.rejected:
            self.stderr.write(str(rejection))
        now = time.monotonic()
        if self.verbosity >= 1 and now - self.last_report >= PROGRESS_EVERY:
            self.last_report = now
            total = self.total
            rate = total.imported / (now - self.started)
            self.stderr.write(
                f"{self.lines_read:,} lines: {total.created:,} created, {total.updated:,} "
                f"updated, {total.unchanged:,} unchanged, {len(total.rejected):,} rejected "
                f"- {rate:,.0f} orders/s"
            )

    def _run_in_processes(self, batches, workers, settings) -> None:
        """Route each order to one process by its id, so its lines apply in file order."""
        context = multiprocessing.get_context("fork")
        connections.close_all()  # each process opens its own
        inboxes = [context.Queue(maxsize=2) for _ in range(workers)]
        results = context.Queue()
        processes = [
            context.Process(target=_worker, args=(inbox, results, settings), daemon=True)
            for inbox in inboxes
        ]
        for process in processes:
            process.start()
        outstanding = 0
        try:
            for batch in batches:
                routed = [[] for _ in range(workers)]
                for row in batch:
                    routed[_route(row[1], workers)].append(row)
                for inbox, rows in zip(inboxes, routed, strict=True):
                    if not rows:
                        continue
                    outstanding += 1
                    while True:
                        try:
                            inbox.put(rows, timeout=0.2)
                            break
                        except queue.Full:  # that process is busy: report meanwhile
                            outstanding -= self._collect(results, processes, wait=False)
                outstanding -= self._collect(results, processes, wait=False)
            while outstanding:
                outstanding -= self._collect(results, processes, wait=True)
        finally:
            for inbox in inboxes:
                with contextlib.suppress(queue.Full):
                    inbox.put(None, timeout=1)
            for process in processes:
                process.join(10)
                if process.is_alive():
                    process.terminate()

    def _collect(self, results, processes, *, wait) -> int:
        """Record the batches done so far; with `wait`, block until at least one is."""
        collected = 0
        while True:
            blocking = wait and not collected
            try:
                message = results.get(timeout=1) if blocking else results.get_nowait()
            except queue.Empty:
                if not blocking:
                    return collected
                if not all(process.is_alive() for process in processes):
                    raise CommandError("An import process died; see its output above.") from None
                continue
            if isinstance(message, str):
                raise CommandError(f"An import process failed:\n{message}")
            lines, result = message
            self._record(lines, result)
            collected += 1


def _batches(stream, size):
    batch = []
    for number, text in enumerate(stream, start=1):
        if text.strip():
            batch.append((number, text))
            if len(batch) == size:
                yield batch
                batch = []
    if batch:
        yield batch


def _route(text: str, workers: int) -> int:
    try:
        body = json.loads(text)
        key = (body.get("retailer"), body.get("external_id"))
    except (ValueError, AttributeError):
        return 0  # rejected by whichever process gets it
    return hash(json.dumps(key, default=str)) % workers


@contextlib.contextmanager
def _lean_gc():
    """Collect cycles less often while importing; then put the collector back as it was.

    A batch allocates hundreds of thousands of short-lived objects; with the default
    thresholds the cycle collector keeps re-scanning the long-lived ones (Django, DRF)
    for nothing. Freezing those and collecting less often saves ~4% of the CPU.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _importer(*, retailer_slug, actor_label, announce_stock) -> OrderImporter:
    return OrderImporter(
        retailer_slug=retailer_slug,
        actor=Actor.system(actor_label),
        announce_stock=announce_stock,
    )


def _worker(inbox, results, settings) -> None:
    import traceback

    try:
        importer = _importer(**settings)
        with _lean_gc():
            while (rows := inbox.get()) is not None:
                results.put((len(rows), importer.import_batch(rows)))
    except BaseException:
        results.put(traceback.format_exc())
    finally:
        connections.close_all()
