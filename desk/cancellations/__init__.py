"""The desk's cancellation requests: their place in the queue, their screen, their actions."""
