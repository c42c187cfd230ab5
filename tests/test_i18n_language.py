"""A Language: which catalogue serves a Discord locale, numbers, plurals and dates of the language, and
messages carried by errors until the member's language is known."""

from __future__ import annotations

import datetime as dt
import gettext
import logging

import pytest
from babel import Locale

from bot.errors import InvalidInput, OnCooldown, UserNotFound
from bot.i18n.catalogues import folder_for, language_for
from bot.i18n.language import ENGLISH, Language, command, msg, msg_n
from bot.input import parse_game_ids, parse_usernames
from bot.render.numbers import compact_count, count

GERMAN = language_for("de")
BRAZILIAN = language_for("pt-BR")
FRENCH = language_for("fr")


@pytest.mark.parametrize(
    ("locale", "folder"),
    [("pt-BR", "pt_BR"), ("es-ES", "es"), ("es-419", "es"), ("fr", "fr"), ("de", "de"),
     ("en-US", None), ("en-GB", None), ("ja", None), ("pt-PT", None), ("zh-TW", None)],
)  # fmt: skip
def test_each_discord_locale_is_served_by_its_catalogue_or_english(locale: str, folder: str | None) -> None:
    assert folder_for(locale) == folder
    assert (language_for(locale) is ENGLISH) is (folder is None)


def test_no_locale_is_english() -> None:
    assert language_for(None) is ENGLISH and language_for("") is ENGLISH


def test_numbers_follow_the_language() -> None:
    assert [lang.number(1001) for lang in (ENGLISH, GERMAN, BRAZILIAN)] == ["1,001", "1.001", "1.001"]
    assert FRENCH.number(1001) == "1\u202f001"
    assert language_for("es-419").number(1001) == "1,001"  # Latin America groups as English does
    assert language_for("es-ES").number(12345) == "12.345"
    assert [count(1001, GERMAN), count(2_500_000, GERMAN), compact_count(9999, GERMAN)] == [
        "1.001",
        "2M",
        "9.999",
    ]
    assert GERMAN.number(10**40).startswith("10.000.000")  # beyond Decimal's precision


def test_percentages_follow_the_language() -> None:
    assert [ENGLISH.percent(57), GERMAN.percent(57), BRAZILIAN.percent(100)] == ["57%", "57\xa0%", "100%"]


def test_plural_forms_follow_the_language() -> None:
    forms = ("Progress on {n} game", "Progress on {n} games")
    assert [ENGLISH.tn(*forms, n) for n in (0, 1, 2)] == [
        "Progress on 0 games",
        "Progress on 1 game",
        "Progress on 2 games",
    ]
    assert [GERMAN.tn(*forms, n) for n in (1, 2, 1001)] == [
        "Fortschritt in 1 Spiel",
        "Fortschritt in 2 Spielen",
        "Fortschritt in 1.001 Spielen",
    ]
    # French and Brazilian Portuguese count 0 as singular, and say "de" after a round million.
    assert [FRENCH.tn(*forms, n) for n in (0, 2, 1_000_000)] == [
        "Progression sur 0 jeu",
        "Progression sur 2 jeux",
        "Progression sur 1\u202f000\u202f000 de jeux",
    ]


def test_dates_follow_the_language() -> None:
    moment = dt.datetime(2026, 1, 31, 12, 5, tzinfo=dt.UTC)
    assert ENGLISH.date(moment.date()) == "Jan 31, 2026"
    assert GERMAN.date(moment.date()) == "31.01.2026"
    assert GERMAN.datetime(moment) == "31.01.2026, 12:05:00 UTC"


def test_a_message_waits_for_its_language() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_game_ids("zelda")
    assert refused.value.user_message.startswith("`zelda` is not a game ID. Use numbers such as `1446`")
    assert str(refused.value) == refused.value.user_message  # logs read English
    german = refused.value.in_language(GERMAN)
    assert german.startswith("`zelda` ist keine Spiel-ID. Verwende Zahlen wie `1446`")
    assert german.endswith(
        "Such dort nach dem Spiel, öffne seine Seite und kopier den Link."
    )  # nested message


def test_refusals_name_commands_as_the_language_does() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_usernames("OnlyOne")
    assert refused.value.in_language(GERMAN).startswith("`/vergleichen` braucht 2 bis 10 verschiedene")
    assert refused.value.user_message.startswith("`/compare` needs 2 to 10 different")
    assert ENGLISH.render(command("compare")) == "compare"


def test_errors_carry_their_parameters_into_every_language() -> None:
    assert UserNotFound("Nobody1").in_language(BRAZILIAN) == (
        "Não existe nenhum usuário do RetroAchievements chamado `Nobody1`. "
        "Confira a grafia (os nomes têm de 2 a 20 letras e números)."
    )
    assert OnCooldown(2.2).in_language(FRENCH) == "Tu vas un peu vite : réessaie dans 3 s."
    ranked = msg_n("{n} member ranked", "{n} members ranked", 1001)
    assert [ENGLISH.render(ranked), GERMAN.render(ranked)] == [
        "1,001 members ranked",
        "1.001 Mitglieder in der Rangliste",
    ]
    assert BRAZILIAN.render(msg("Linked to {name}", name="Max")) == "Vinculado a Max"


def test_a_translation_that_does_not_fit_its_parameters_falls_back_to_english(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            return "Verknüpft mit {nom}"

    broken = Language("de", Locale.parse("de"), Broken())
    with caplog.at_level(logging.WARNING):
        assert broken.t("Linked to {name}", name="Max") == "Linked to Max"
    assert "does not fit its parameters" in caplog.text


def test_an_untranslated_message_shows_in_english() -> None:
    assert GERMAN.t("A message no catalogue has") == "A message no catalogue has"
    assert GERMAN.translated(None, "A message no catalogue has") is None
    assert GERMAN.translated(None, "Mastered") == "Gemeistert"
