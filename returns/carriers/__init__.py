"""Carrier adapters, chosen per retailer by `Retailer.carrier` (SPEC §8).

Authorising a return buys a label from the retailer's carrier. A real carrier is one
class implementing `CarrierAdapter.buy_label` (call the carrier's API with
`idempotency_key`, return its tracking number and label PDF) plus its choice on
`Retailer.Carrier`; its tracking webhook maps the carrier's first scan onto
`returns.receiving.return_mark_shipped`, as `returns.api.views.CarrierTrackingApi` does
for the sandbox.
"""

from returns.carriers.base import CarrierAdapter, Label, LabelRequest
from returns.carriers.sandbox import SandboxCarrier

ADAPTERS: dict[str, type[CarrierAdapter]] = {SandboxCarrier.code: SandboxCarrier}


def carrier_for(retailer) -> CarrierAdapter:
    try:
        return ADAPTERS[retailer.carrier]()
    except KeyError:
        raise LookupError(f"No carrier adapter {retailer.carrier!r} for {retailer.slug}") from None


__all__ = ["ADAPTERS", "CarrierAdapter", "Label", "LabelRequest", "carrier_for"]
