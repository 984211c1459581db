"""What a refund is for: the cancellation, return or dispute that owes the money.

Refunds know their sources only through this registry, so the refund engine sits below
every domain that pays money back. Each source app registers itself once (in its
AppConfig.ready): the `Refund` foreign key that names it, and the function told, in the
same transaction, whenever one of its refunds changes status (it completes a request,
closes a return, or puts a case back in the queue).
"""

from collections.abc import Callable
from dataclasses import dataclass

from kernel.actors import Actor


@dataclass(frozen=True)
class RefundSource:
    model: str  # "app_label.modelname", as `Model._meta.label_lower`
    field: str  # the Refund foreign key that points at it
    settled: Callable[..., None]  # settled(*, refund, actor): in the refund's transaction


_sources: dict[str, RefundSource] = {}


def refund_source_register(*, model: str, field: str, settled: Callable[..., None]) -> None:
    """Make `model` a source of refunds, named on each refund by the foreign key `field`."""
    _sources[model.lower()] = RefundSource(model=model.lower(), field=field, settled=settled)


def refund_source_field(source) -> str:
    """The Refund field naming `source` (a model instance of a registered source)."""
    try:
        return _sources[source._meta.label_lower].field
    except KeyError:
        raise LookupError(f"{source._meta.label} is not a registered refund source") from None


def refund_source_settle(refund, *, actor: Actor) -> None:
    """Tell the refund's source that the refund's status changed (same transaction)."""
    for source in _sources.values():
        if getattr(refund, f"{source.field}_id", None) is not None:
            source.settled(refund=refund, actor=actor)
            return


def refund_source(refund):
    """The object the refund is for (a cancellation request, a return...), or None."""
    for source in _sources.values():
        if getattr(refund, f"{source.field}_id", None) is not None:
            return getattr(refund, source.field)
    return None


# --- store credit: the same, for what owes a store credit (refunds.store_credit) -------

_credit_sources: dict[str, RefundSource] = {}


def store_credit_source_register(*, model: str, field: str, settled: Callable[..., None]) -> None:
    """Make `model` a source of store credit, named on each credit by the foreign key
    `field`; `settled(*, store_credit, actor)` is told in the transaction that changed
    one of its credits."""
    _credit_sources[model.lower()] = RefundSource(model=model.lower(), field=field, settled=settled)


def store_credit_source_field(source) -> str:
    try:
        return _credit_sources[source._meta.label_lower].field
    except KeyError:
        raise LookupError(f"{source._meta.label} is not a registered store credit source") from None


def store_credit_source(store_credit):
    """The object the store credit is for (a cancellation request, a return...), or None."""
    for source in _credit_sources.values():
        if getattr(store_credit, f"{source.field}_id", None) is not None:
            return getattr(store_credit, source.field)
    return None


def store_credit_source_kind(store_credit) -> str:
    """What §10's `source.kind` calls the credit's source: cancellation, return, dispute."""
    for source in _credit_sources.values():
        if getattr(store_credit, f"{source.field}_id", None) is not None:
            return source.model.split(".", 1)[0].removesuffix("s")
    return ""


def store_credit_source_settle(store_credit, *, actor: Actor) -> None:
    for source in _credit_sources.values():
        if getattr(store_credit, f"{source.field}_id", None) is not None:
            source.settled(store_credit=store_credit, actor=actor)
            return
