"""The data of each reply (`models`, pure) and how it is fetched from RetroAchievements (`gather`).

Only the data types are imported here, so that rendering can use them and stay free of I/O.
"""

from bot.reports.models import (
    BoardRow,
    ComparedGame,
    Comparison,
    GameEntry,
    Leaderboard,
    PlayerResult,
    ProgressReport,
    Summary,
    rank_key,
)

__all__ = [
    "BoardRow",
    "ComparedGame",
    "Comparison",
    "GameEntry",
    "Leaderboard",
    "PlayerResult",
    "ProgressReport",
    "Summary",
    "rank_key",
]
