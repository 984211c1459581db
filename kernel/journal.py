"""What a change leaves to do, in one place per thread: the rows it appends as it goes
(timeline events, outbox messages and webhook deliveries), written together when the
change ends; and the work it hands on once its transaction commits.

    with transaction.atomic(), journal():
        ...  # order_event_record and event_emit append to the journal
    # leaving the block writes what was appended, still inside the transaction

Outside a journal every append is written at once. Deferring is safe because these rows
are only ever inserted, and nothing in the same change reads them back. A journal must
not be open across a savepoint that is rolled back and recovered from (its rows would be
written anyway); the services that open one recover from no such savepoint.

After commit, `after_commit(name=ids, ...)` hands ids (outbox rows, refunds) to the one
dispatcher the notifications app registers, once the transaction has committed. Inside
a journal, everything the change hands over goes in one batch, registered once with
Django's `transaction.on_commit` when the change ends: one hand-over per change, not
one per row. Outside a journal each call is its own hand-over. A change that fails, or
a savepoint rolled back, hands nothing over (Django drops its callbacks).

The state lives in one ContextVar: each thread (and each task of a worker) has its own.
"""

from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import transaction


class CommitBatch:
    """Ids collected during one transaction, handed over once after it commits."""

    def __init__(self):
        self.ids: dict[str, list] = {}
        self.done = False

    def add(self, ids: dict) -> None:
        for name, values in ids.items():
            bucket = self.ids.setdefault(name, [])
            bucket.extend(pk for pk in values if pk not in bucket)

    def hand_over(self) -> None:
        if self.done:
            return  # an earlier callback of this commit handed everything over
        self.done = True
        work = {name: ids for name, ids in self.ids.items() if ids}
        if work and _dispatcher is not None:
            _dispatcher(work)


class Journal:
    def __init__(self):
        # writer -> the rows appended for it; writers run in the order first used.
        self._rows: dict[Callable[[list], None], list] = {}
        self._memo: dict = {}
        # What the change hands over once its transaction commits.
        self.batch = CommitBatch()

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
        """Write the change's rows (writing them may hand over more), then register the
        change's hand-over with the transaction."""
        while self._rows:
            writer, rows = next(iter(self._rows.items()))
            del self._rows[writer]
            if rows:
                writer(rows)
        if self.batch.ids:
            transaction.on_commit(self.batch.hand_over, robust=True)


@dataclass
class _State:
    journal: Journal | None = None
    # Work handed over is done by this process right away instead of by a new task
    # (see `inline`); the dispatcher reads it.
    inline: bool = False


_state: ContextVar[_State] = ContextVar("rescind_change")


def _current() -> _State:
    try:
        return _state.get()
    except LookupError:
        state = _State()
        _state.set(state)
        return state


# --- the journal -----------------------------------------------------------------------


def journal_current() -> Journal | None:
    return _current().journal


@contextmanager
def journal():
    """Open a journal for the change; a journal already open (an outer change) is reused."""
    state = _current()
    if state.journal is not None:
        yield state.journal
        return
    opened = state.journal = Journal()
    try:
        yield opened
        opened.flush()
    finally:
        state.journal = None


def journal_append(writer: Callable[[list], None], row) -> None:
    """Write `row` with `writer` now, or when the open journal ends."""
    current = _current().journal
    if current is None:
        writer([row])
    else:
        current.append(writer, row)


# --- after commit ----------------------------------------------------------------------

_dispatcher: Callable[[dict], None] | None = None


def after_commit_dispatcher_set(dispatcher: Callable[[dict], None]) -> None:
    """Who receives each commit's work ({name: ids}): set once, by the notifications
    app (it sends the outbox rows and runs the other apps' registered work)."""
    global _dispatcher
    _dispatcher = dispatcher


def after_commit(**ids) -> None:
    """Hand `ids` (name=list of ids) over once this transaction commits (at once
    outside a transaction): with the rest of the change inside a journal, on its own
    outside one."""
    ids = {name: list(values) for name, values in ids.items()}
    current = _current().journal
    if current is not None:
        current.batch.add(ids)
        return
    batch = CommitBatch()
    batch.add(ids)
    transaction.on_commit(batch.hand_over, robust=True)


@contextmanager
def inline():
    """Inside this block, work handed over after a commit is done by this process right
    after the commit, instead of by a new task.

    For worker tasks whose change ends in messages (a refund that succeeded tells the
    customer and the webhooks): the rows go out just as the task that sends them would,
    without a publish and a task delivery per change. Nothing is lost if the worker
    dies meanwhile: the rows are pending, and the sweeps send them.
    """
    state = _current()
    before = state.inline
    state.inline = True
    try:
        yield
    finally:
        state.inline = before


def inline_now() -> bool:
    return _current().inline
