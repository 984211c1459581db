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
