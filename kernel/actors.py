"""Who did something: every timeline event names one actor."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    kind: str  # "user", "api_key", "rule", "worker", "customer", "system"
    label: str
    user: Any = None
    api_key: Any = None

    @classmethod
    def for_user(cls, user) -> "Actor":
        return cls("user", user.get_username(), user=user)

    @classmethod
    def for_api_key(cls, api_key) -> "Actor":
        return cls("api_key", api_key.label, api_key=api_key)

    @classmethod
    def rule(cls, code: str) -> "Actor":
        return cls("rule", f"rule {code}")

    @classmethod
    def worker(cls, name: str) -> "Actor":
        return cls("worker", name)

    @classmethod
    def customer(cls) -> "Actor":
        return cls("customer", "customer")

    @classmethod
    def system(cls, name: str = "system") -> "Actor":
        return cls("system", name)

    @property
    def is_supervisor(self) -> bool:
        member = getattr(self.user, "staff_member", None) if self.user is not None else None
        return bool(member and member.is_supervisor) or bool(
            self.user is not None and self.user.is_superuser
        )
