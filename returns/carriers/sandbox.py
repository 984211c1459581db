"""The sandbox carrier (the default): ships nothing, but its labels are real PDFs.

Tracking numbers are `SBX` followed by the return id and a check digit string derived
from the idempotency key, so buying again for the same return gives the same number.
"""

import hashlib

from returns.carriers.base import CarrierAdapter, Label, LabelRequest
from returns.carriers.label import label_pdf


class SandboxCarrier(CarrierAdapter):
    code = "sandbox"
    name = "Sandbox Carrier"

    def buy_label(self, request: LabelRequest) -> Label:
        digest = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:8].upper()
        tracking_number = f"SBX{request.return_id:08d}{digest}"
        return Label(
            carrier=self.code,
            tracking_number=tracking_number,
            pdf=label_pdf(request, carrier_name=self.name, tracking_number=tracking_number),
        )
