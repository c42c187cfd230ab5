"""A string that never shows itself in a repr, str or f-string."""

from __future__ import annotations


class Secret:
    """Holds a credential; only `reveal()` gives the value back."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def reveal(secret: Secret | None) -> str | None:
    """The value of an optional secret."""
    return None if secret is None else secret.reveal()
