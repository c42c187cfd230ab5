"""Splitting text blocks into pages that fit one embed description."""

from __future__ import annotations

from bot.i18n.language import ENGLISH, Language

DESCRIPTION_BUDGET = 3800
BLOCK_SEPARATOR = "\n\n"


def paginate_blocks(blocks: list[str], per_page: int, budget: int = DESCRIPTION_BUDGET) -> list[list[str]]:
    """Whole blocks per page: at most `per_page` of them and `budget` characters. Never returns no page."""
    pages: list[list[str]] = [[]]
    size = 0
    for block in blocks:
        if pages[-1] and (len(pages[-1]) >= per_page or size + len(block) + len(BLOCK_SEPARATOR) > budget):
            pages.append([])
            size = 0
        pages[-1].append(block)
        size += len(block) + len(BLOCK_SEPARATOR)
    return pages


def page_footer(base: str, number: int, total: int, language: Language = ENGLISH) -> str:
    if total == 1:
        return base
    return base + " · " + language.t("Page {page}/{pages}", page=number, pages=total)
