"""The look every reply shares: colour, footer, the marks for mastered, completed and beaten, the HC/SC
legend.

The texts are message ids (English); rendering shows them in the reader's language.
"""

from __future__ import annotations

from bot.i18n.language import N_

EMBED_COLOUR = 0xCC9900
FOOTER = N_("Data from RetroAchievements.org")

MASTERED_ICON = "👑"
COMPLETED_ICON = "✅"
MASTERED = N_("Mastered")
COMPLETED = N_("Completed")
MASTERED_MARK = f"{MASTERED_ICON} {MASTERED}"
COMPLETED_MARK = f"{COMPLETED_ICON} {COMPLETED}"
BEATEN_ICON = "🏁"  # beaten, neither completed nor mastered
BEATEN = N_("Beaten")
BEATEN_SOFTCORE = N_("Beaten (softcore)")
BEATEN_MARK = f"{BEATEN_ICON} {BEATEN}"
BEATEN_SOFTCORE_MARK = f"{BEATEN_ICON} {BEATEN_SOFTCORE}"

HARDCORE_SHORT = "HC"
SOFTCORE_SHORT = "SC"
LEGEND = N_("HC = hardcore, SC = softcore")
SOFTCORE = N_("Softcore")
HARDCORE = N_("Hardcore")
