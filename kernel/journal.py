"""The rows a change appends as it goes (timeline events, outbox messages and webhook
deliveries), written together when the change ends: a few statements instead of
one or more per row.

    with transaction.atomic(), journal():
        ...  # order_event_record and event_emit append to the journal
    # leaving the block writes what was appended, still inside the transaction

Outside a journal every append is written at once. Deferring is safe because these rows
are only ever inserted, and nothing in the same change reads them back. A journal must
not be open across a savepoint that is rolled back and recovered from (its rows would be
written anyway); the services that open one recover from no such savepoint.
"""

import threading
from collections.abc import Callable
from contextlib import contextmanager

_state = threading.local()


class Journal:
    def __init__(self):
        # writer -> the rows appended for it; writers run in the order first used.
        self._rows: dict[Callable[[list], None], list] = {}
        self._memo: dict = {}

    def append(self, writer: Callable[[list], None], row) -> None:
        self._rows.setdefault(writer, []).append(row)

    def rows(self, writer) -> list:
        """What is waiting for `writer` (the same list: a writer may drop rows from it)."""
        return self._rows.setdefault(writer, [])

    def memo(self, key, compute: Callable):
        """`compute()` once per change: reads every event of the change would repeat."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def flush(self) -> None:
        while self._rows:
            writer, rows = next(iter(self._rows.items()))
            del self._rows[writer]
            if rows:
                writer(rows)


def journal_current() -> Journal | None:
    return getattr(_state, "journal", None)


@contextmanager
def journal():
    """Open a journal for the change; a journal already open (an outer change) is reused."""
    if journal_current() is not None:
        yield journal_current()
        return
    opened = _state.journal = Journal()
    try:
        yield opened
        opened.flush()
    finally:
        _state.journal = None


def journal_append(writer: Callable[[list], None], row) -> None:
    """Write `row` with `writer` now, or when the open journal ends."""
    current = journal_current()
    if current is None:
        writer([row])
    else:
        current.append(writer, row)
