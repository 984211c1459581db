"""Domain errors: raised by services, turned into problem+json once, in `kernel.api`.

The codes are the public contract of SPEC §5; the HTTP status of each is set here and
nowhere else.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "invalid"
    NOT_AUTHENTICATED = "not_authenticated"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    ALREADY_CANCELLED = "already_cancelled"
    OPEN_REQUEST_EXISTS = "open_request_exists"
    ILLEGAL_TRANSITION = "illegal_transition"
    IDEMPOTENCY_KEY_IN_USE = "idempotency_key_in_use"
    HELD_BY_ANOTHER = "held_by_another"
    ORDER_NOT_FOUND = "order_not_found"
    LINE_NOT_FOUND = "line_not_found"
    QUANTITY_EXCEEDS_REMAINING = "quantity_exceeds_remaining"
    PAYMENTS_MISMATCH = "payments_mismatch"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    LINES_ALREADY_CANCELLED = "lines_already_cancelled"
    ABOVE_APPROVAL_LIMIT = "above_approval_limit"
    THROTTLED = "throttled"
    TOO_LARGE = "too_large"
    URI_TOO_LONG = "uri_too_long"
    LINE_HAS_CANCELLATIONS = "line_has_cancellations"
    # returns (SPEC §8)
    NOT_SHIPPED = "not_shipped"
    OUTSIDE_RETURN_WINDOW = "outside_return_window"
    NOT_RETURNABLE = "not_returnable"
    OUT_OF_STOCK = "out_of_stock"
    EXCHANGES_NOT_ALLOWED = "exchanges_not_allowed"


HTTP_STATUS = {
    ErrorCode.INVALID: 400,
    ErrorCode.NOT_AUTHENTICATED: 401,
    ErrorCode.PERMISSION_DENIED: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.ALREADY_CANCELLED: 409,
    ErrorCode.OPEN_REQUEST_EXISTS: 409,
    ErrorCode.ILLEGAL_TRANSITION: 409,
    ErrorCode.IDEMPOTENCY_KEY_IN_USE: 409,
    ErrorCode.HELD_BY_ANOTHER: 409,
    ErrorCode.ORDER_NOT_FOUND: 422,
    ErrorCode.LINE_NOT_FOUND: 422,
    ErrorCode.QUANTITY_EXCEEDS_REMAINING: 422,
    ErrorCode.PAYMENTS_MISMATCH: 422,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: 422,
    ErrorCode.LINES_ALREADY_CANCELLED: 422,
    ErrorCode.ABOVE_APPROVAL_LIMIT: 403,
    ErrorCode.THROTTLED: 429,
    ErrorCode.TOO_LARGE: 413,
    ErrorCode.URI_TOO_LONG: 414,
    ErrorCode.LINE_HAS_CANCELLATIONS: 409,
    ErrorCode.NOT_SHIPPED: 422,
    ErrorCode.OUTSIDE_RETURN_WINDOW: 422,
    ErrorCode.NOT_RETURNABLE: 422,
    ErrorCode.OUT_OF_STOCK: 422,
    ErrorCode.EXCHANGES_NOT_ALLOWED: 422,
}


class DomainError(Exception):
    """A business rule said no. Nothing has been written when one is raised.

    `extra` carries machine-readable context that the problem document includes as
    top-level members (for instance `request` for `open_request_exists`), and `errors`
    names offending fields like a validation error does.
    """

    def __init__(self, code: ErrorCode, detail: str, *, errors=None, **extra):
        super().__init__(detail)
        self.code = ErrorCode(code)
        self.detail = detail
        self.errors = errors
        self.extra = extra

    @property
    def status(self) -> int:
        return HTTP_STATUS[self.code]


class NotFound(DomainError):
    def __init__(self, detail: str = "No such object for this retailer."):
        super().__init__(ErrorCode.NOT_FOUND, detail)
