"""The interface every carrier adapter implements."""

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar


@dataclass(frozen=True)
class LabelRequest:
    """What a label needs: who sends what, to where, by when."""

    retailer_name: str
    return_id: int
    order: str
    ship_by: datetime
    from_lines: tuple[str, ...]  # the customer
    to_lines: tuple[str, ...]  # the retailer's returns warehouse
    items: tuple[str, ...]  # "2 x TEE-BLK-M"
    idempotency_key: str


@dataclass(frozen=True)
class Label:
    carrier: str
    tracking_number: str
    pdf: bytes


class CarrierAdapter:
    code: ClassVar[str] = ""
    name: ClassVar[str] = ""

    def buy_label(self, request: LabelRequest) -> Label:
        """Buy a prepaid return label; the same `idempotency_key` buys it once."""
        raise NotImplementedError
