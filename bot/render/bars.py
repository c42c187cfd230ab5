"""Text progress bars that read well on phones and desktops alike."""

from __future__ import annotations

BAR_WIDTH = 10
FULL_CELL = "█"
EMPTY_CELL = "░"


def percent_floor(done: int, total: int) -> int:
    """The percentage rounded down, so 100 only when done reaches total; between 0 and 100 whatever
    the numbers, and 0 when total is 0."""
    if total <= 0:
        return 0
    return max(0, min(100, done * 100 // total))


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """Exactly `width` cells, filled in proportion rounded down: a full bar means complete."""
    filled = 0 if total <= 0 else max(0, min(width, done * width // total))
    return FULL_CELL * filled + EMPTY_CELL * (width - filled)
