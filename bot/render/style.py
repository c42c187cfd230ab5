"""The look every reply shares: colour, footer, the marks for mastered and completed, the HC/SC legend."""

from __future__ import annotations

EMBED_COLOUR = 0xCC9900
FOOTER = "Data from RetroAchievements.org"

MASTERED_ICON = "👑"
COMPLETED_ICON = "✅"
MASTERED_MARK = f"{MASTERED_ICON} Mastered"
COMPLETED_MARK = f"{COMPLETED_ICON} Completed"

HARDCORE_SHORT = "HC"
SOFTCORE_SHORT = "SC"
LEGEND = f"{HARDCORE_SHORT} = hardcore, {SOFTCORE_SHORT} = softcore"
