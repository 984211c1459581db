from refunds.representation import RefundOutput

__all__ = ["RefundOutput"]
