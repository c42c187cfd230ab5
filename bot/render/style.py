"""The look every reply shares: colour, footer, the marks for mastered, completed and beaten, the HC/SC
legend."""

from __future__ import annotations

EMBED_COLOUR = 0xCC9900
FOOTER = "Data from RetroAchievements.org"

MASTERED_ICON = "👑"
COMPLETED_ICON = "✅"
MASTERED_MARK = f"{MASTERED_ICON} Mastered"
COMPLETED_MARK = f"{COMPLETED_ICON} Completed"
BEATEN_ICON = "🏁"  # beaten, neither completed nor mastered
BEATEN_MARK = f"{BEATEN_ICON} Beaten"
BEATEN_SOFTCORE_MARK = f"{BEATEN_ICON} Beaten (softcore)"

HARDCORE_SHORT = "HC"
SOFTCORE_SHORT = "SC"
LEGEND = f"{HARDCORE_SHORT} = hardcore, {SOFTCORE_SHORT} = softcore"
