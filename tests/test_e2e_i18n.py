"""Every member reads the bot in their own language, end to end: the real bot, a fake Discord that sends each
interaction's `locale` and `guild_locale`, and a fake RetroAchievements."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.sandbox.harness import Sandbox, final_answer, running_sandbox
from tests.test_e2e_catalogue import catalogue_dataset

NO_COOLDOWN = {"PROGRESS_COOLDOWN_SECONDS": "0"}
OTHER_MEMBER = 200000000000000099
MAXMILYIN_AUTHOR = {
    "name": "MaxMilyin",
    "url": "https://retroachievements.org/user/MaxMilyin",
    "icon_url": "https://media.retroachievements.org/UserPic/MaxMilyin.png",
}
GERMAN_SONIC = (
    "**[Sonic the Hedgehog](https://retroachievements.org/game/1)** · Genesis/Mega Drive"
    " · **👑 Gemeistert**\n"
    "`Casual   ██████████` 100\xa0% · 23/23 · 251/251 Pkt.\n"
    "`Hardcore ██████████` 100\xa0% · 23/23 · 251/251 Pkt."
)


class Expected:
    """What a member of one language reads, written out by hand for each language."""

    def __init__(self, **texts: str) -> None:
        self.__dict__.update(texts)

    def __getattr__(self, name: str) -> str:
        raise AttributeError(name)


LANGUAGES: dict[str, Expected] = {
    "de": Expected(
        title="Fortschritt in 3 Spielen",
        fields="👑 Gemeistert|✅ Abgeschlossen|🏁 Abgeschlossen|Punkte",
        points="811 von 1.001\n(Hardcore 671)",
        softcore="`Casual   █████░░░░░` 57\xa0% · 20/35 · 210/400 Pkt.",
        footer="Daten von RetroAchievements.org",
        refusal="`0` ist keine Spiel-ID: IDs sind ganze Zahlen von 1 bis 2147483647.",
        no_title="Kein RetroAchievements-Spiel heißt `zelda`. Prüf die Schreibweise",
        buttons="Zurück|1/2|Weiter",
        page_two="Daten von RetroAchievements.org · Seite 2/2",
        expired="Diese Schaltflächen sind abgelaufen: Führ den Befehl noch einmal aus.",
        not_yours="Nur wer den Befehl ausgeführt hat, kann diese Seiten umblättern.",
    ),
    "pt-BR": Expected(
        title="Progresso em 3 jogos",
        fields="Platinado|Concluído|Zerado|Pontos",
        points="811 de 1.001\n(hardcore 671)",
        softcore="`Casual   █████░░░░░` 57% · 20/35 · 210/400 pts",
        footer="Dados do RetroAchievements.org",
        refusal="`0` não é um ID de jogo: os IDs são números inteiros de 1 a 2147483647.",
        no_title="Nenhum jogo do RetroAchievements tem o título `zelda`. Confira a grafia",
        buttons="Anterior|1/2|Próxima",
        page_two="Dados do RetroAchievements.org · Página 2/2",
        expired="Estes botões expiraram: use o comando de novo.",
        not_yours="Só quem pediu pode virar estas páginas.",
    ),
    "es-ES": Expected(
        title="Progreso en 3 juegos",
        fields="Dominado|Completado|Superado|Puntos",
        points="811 de 1.001\n(hardcore 671)",
        softcore="`Casual   █████░░░░░` 57\xa0% · 20/35 · 210/400 pts",
        footer="Datos de RetroAchievements.org",
        refusal="`0` no es un ID de juego: los ID son números enteros del 1 al 2147483647.",
        no_title="Ningún juego de RetroAchievements se titula `zelda`. Revisa cómo está escrito",
        buttons="Anterior|1/2|Siguiente",
        page_two="Datos de RetroAchievements.org · Página 2/2",
        expired="Estos botones han caducado: vuelve a usar el comando.",
        not_yours="Solo quien lo pidió puede pasar estas páginas.",
    ),
    # Spanish for Latin America: the same words, numbers grouped the Latin American way.
    "es-419": Expected(
        title="Progreso en 3 juegos",
        fields="Dominado|Completado|Superado|Puntos",
        points="811 de 1,001\n(hardcore 671)",
        softcore="`Casual   █████░░░░░` 57% · 20/35 · 210/400 pts",
        footer="Datos de RetroAchievements.org",
        refusal="`0` no es un ID de juego: los ID son números enteros del 1 al 2147483647.",
        no_title="Ningún juego de RetroAchievements se titula `zelda`. Revisa cómo está escrito",
        buttons="Anterior|1/2|Siguiente",
        page_two="Datos de RetroAchievements.org · Página 2/2",
        expired="Estos botones han caducado: vuelve a usar el comando.",
        not_yours="Solo quien lo pidió puede pasar estas páginas.",
    ),
    "fr": Expected(
        title="Progression sur 3 jeux",
        fields="👑 Maîtrisé|✅ Terminé|🏁 Terminé|Points",
        points="811 sur 1\u202f001\n(hardcore 671)",
        softcore="`Facile   █████░░░░░` 57\xa0% · 20/35 · 210/400 pts",
        footer="Données de RetroAchievements.org",
        refusal=(
            "`0` n\u2019est pas un identifiant de jeu : les identifiants sont des nombres entiers de 1 à "
            "2147483647."
        ),
        no_title="Aucun jeu RetroAchievements ne s\u2019intitule `zelda`. Vérifie l\u2019orthographe",
        buttons="Précédente|1/2|Suivante",
        page_two="Données de RetroAchievements.org · Page 2/2",
        expired="Ces boutons ont expiré : relance la commande.",
        not_yours="Seule la personne qui a lancé la commande peut tourner ces pages.",
    ),
}
ENGLISH_WORDS = {"Progress", "game", "games", "Mastered", "Completed", "Beaten", "Points", "Softcore", "of"}


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with running_sandbox(env=NO_COOLDOWN) as running:
        yield running


def labels(message: dict[str, Any]) -> str:
    return "|".join(str(c.get("label")) for c in message["components"][0]["components"])


async def test_german_progress_exact_reply(sandbox: Sandbox) -> None:
    interaction = await sandbox.command("progress", user="MaxMilyin", games="1", locale="de")
    await final_answer(interaction)
    assert [(e.kind, e.body) for e in interaction.events] == [
        ("callback", {"type": 5}),
        (
            "edit_original",
            {
                "embeds": [
                    {
                        "type": "rich",
                        "flags": 0,
                        "title": "Fortschritt in 1 Spiel",
                        "color": 0xCC9900,
                        "author": MAXMILYIN_AUTHOR,
                        "description": GERMAN_SONIC,
                        "fields": [
                            {"name": "👑 Gemeistert", "value": "1 von 1", "inline": True},
                            {"name": "✅ Abgeschlossen", "value": "1 von 1", "inline": True},
                            {"name": "🏁 Abgeschlossen", "value": "0 von 1", "inline": True},
                            {"name": "Punkte", "value": "251 von 251\n(Hardcore 251)", "inline": True},
                        ],
                        "footer": {"text": "Daten von RetroAchievements.org"},
                    }
                ],
                "content": None,
                "tts": False,
                "allowed_mentions": {"parse": []},
            },
        ),
    ]


@pytest.mark.parametrize("locale", list(LANGUAGES))
async def test_the_same_progress_in_each_language(sandbox: Sandbox, locale: str) -> None:
    expected = LANGUAGES[locale]
    english = (await sandbox.ask("progress", user="MaxMilyin", games="1,2,3"))["embeds"][0]
    embed = (await sandbox.ask("progress", user="MaxMilyin", games="1,2,3", locale=locale))["embeds"][0]
    assert embed["title"] == expected.title
    assert "|".join(field["name"] for field in embed["fields"]) == expected.fields
    assert embed["fields"][-1]["value"] == expected.points
    assert expected.softcore in embed["description"].splitlines()
    assert embed["footer"] == {"text": expected.footer}
    assert (embed["author"], embed["color"]) == (english["author"], english["color"])
    titles = [line.split("](")[0] for line in embed["description"].splitlines() if line.startswith("**[")]
    assert titles == [
        line.split("](")[0] for line in english["description"].splitlines() if line.startswith("**[")
    ]
    shown = json.dumps(embed, ensure_ascii=False)
    shown = re.sub(r"\*\*\[[^\]]*\]|https://[^\s)\"]+", "", shown)  # without the games' titles and links
    same_word = {"Points"} if locale == "fr" else set()  # French says Points too
    assert not set(re.findall(r"\w+", shown)) & (ENGLISH_WORDS - same_word)


@pytest.mark.parametrize("locale", list(LANGUAGES))
async def test_refusals_in_each_language(sandbox: Sandbox, locale: str) -> None:
    answer = await sandbox.ask("progress", user="MaxMilyin", games="0", locale=locale)
    assert answer["flags"] & 64 and answer["embeds"] == []
    assert answer["content"] == LANGUAGES[locale].refusal
    no_title = await sandbox.ask("progress", user="MaxMilyin", games="zelda", locale=locale)
    assert no_title["content"].startswith(LANGUAGES[locale].no_title), no_title["content"]


@pytest.mark.parametrize("locale", list(LANGUAGES))
async def test_turning_a_page_in_each_language(sandbox: Sandbox, locale: str) -> None:
    expected = LANGUAGES[locale]
    games = " ".join(map(str, range(1, 13)))
    interaction = await sandbox.command("progress", user="MaxMilyin", games=games, locale=locale)
    first = await final_answer(interaction)
    assert labels(first) == expected.buttons
    assert first["embeds"][0]["footer"]["text"] == expected.page_two.replace("2/2", "1/2")

    stranger = await sandbox.click(
        first, expected.buttons.split("|")[-1], user_id=OTHER_MEMBER, locale=locale
    )
    refusal = await stranger.wait_for(lambda e: e.kind == "callback")
    assert refusal.body["data"]["content"].startswith(expected.not_yours)

    turn = await sandbox.click(first, expected.buttons.split("|")[-1], locale=locale)
    page_two = (await turn.wait_for(lambda e: e.kind == "callback")).body
    assert page_two["type"] == 7
    assert page_two["data"]["embeds"][0]["footer"]["text"] == expected.page_two
    assert labels(page_two["data"]) == expected.buttons.replace("1/2", "2/2")


@pytest.mark.parametrize("locale", list(LANGUAGES))
async def test_expired_buttons_answer_in_the_clicking_members_language(sandbox: Sandbox, locale: str) -> None:
    click = await sandbox.click_custom_id("rabot:page:next", locale=locale)
    answer = await click.wait_for(lambda e: e.kind == "callback")
    assert answer.body["data"] == {
        "content": LANGUAGES[locale].expired,
        "flags": 64,
        "tts": False,
        "allowed_mentions": {"parse": []},
    }


async def test_someone_else_pressing_the_buttons_reads_their_own_language(sandbox: Sandbox) -> None:
    games = " ".join(map(str, range(1, 13)))
    first = await final_answer(await sandbox.command("progress", user="MaxMilyin", games=games, locale="de"))
    stranger = await sandbox.click(first, "Weiter", user_id=OTHER_MEMBER, locale="fr")
    refusal = await stranger.wait_for(lambda e: e.kind == "callback")
    assert refusal.body["data"]["content"].startswith(LANGUAGES["fr"].not_yours)


@pytest.mark.parametrize("locale", ["ja", "it", "en-GB", "zh-TW"])
async def test_a_language_without_a_catalogue_reads_english(sandbox: Sandbox, locale: str) -> None:
    english = await sandbox.command("progress", user="MaxMilyin", games="1,2,3")
    other = await sandbox.command("progress", user="MaxMilyin", games="1,2,3", locale=locale)
    await final_answer(english)
    await final_answer(other)
    assert [(e.kind, e.body) for e in other.events] == [(e.kind, e.body) for e in english.events]
    assert other.events[-1].body["embeds"][0]["title"] == "Progress on 3 games"
    refused = await sandbox.ask("progress", user="MaxMilyin", games="0", locale=locale)
    assert refused["content"] == "`0` is not a game ID: IDs are whole numbers from 1 to 2147483647."


async def test_the_members_language_wins_over_the_servers_for_a_reply(sandbox: Sandbox) -> None:
    answer = await sandbox.ask("progress", user="MaxMilyin", games="1", locale="pt-BR", guild_locale="de")
    assert answer["embeds"][0]["title"] == "Progresso em 1 jogo"
    english_member = await sandbox.ask("progress", user="MaxMilyin", games="1", guild_locale="fr")
    assert english_member["embeds"][0]["title"] == "Progress on 1 game"


async def test_cooldown_and_unexpected_errors_in_the_members_language() -> None:
    async with running_sandbox() as sandbox:
        await sandbox.ask("progress", user="MaxMilyin", games="1", locale="de")
        again = await sandbox.ask("progress", user="MaxMilyin", games="1", locale="de")
        assert again["content"].startswith("Du bist etwas zu schnell: Versuch es in ")
        sandbox.discord.fail_next(
            "PATCH", r"/messages/@original$", 400, {"code": 50035, "message": "Invalid Form Body"}
        )
        broken = await sandbox.ask("progress", user="Scott", games="1", user_id=OTHER_MEMBER, locale="es-ES")
        assert broken["content"].startswith("Algo ha fallado por parte del bot (id de error `")


async def test_link_unlink_and_suggestions_in_the_members_language(sandbox: Sandbox) -> None:
    linked = await sandbox.ask("link", username="MaxMilyin", locale="de")
    assert linked["embeds"][0]["title"] == "Verknüpft mit MaxMilyin"
    assert linked["embeds"][0]["description"].startswith(
        "`/fortschritt` und `/vergleichen` schlagen jetzt zuerst dieses Konto vor"
    )
    choices = await sandbox.autocomplete("progress", "user", user="max", games="1", locale="pt-BR")
    assert choices == [{"name": "MaxMilyin (você)", "value": "MaxMilyin"}]
    gone = await sandbox.ask("unlink", locale="fr")
    assert gone["content"].startswith("C\u2019est fait : ton compte RetroAchievements lié")


async def test_a_german_leaderboard(sandbox: Sandbox) -> None:
    await sandbox.ask("link", username="MaxMilyin")
    board = (await sandbox.ask("leaderboard", game="1", locale="de"))["embeds"][0]
    assert board["title"].startswith("Rangliste von ")
    assert board["footer"]["text"] == "Daten von RetroAchievements.org · 1 Mitglied in der Rangliste"
    assert "`HC ██████████` 100\xa0% · 23/23 · 251 Pkt." in board["description"]


async def test_commands_are_registered_with_every_languages_names(sandbox: Sandbox) -> None:
    commands = {command["name"]: command for command in sandbox.discord.commands[None]}
    progress = commands["progress"]
    assert progress["name_localizations"] == {
        "pt-BR": "progresso",
        "es-ES": "progreso",
        "es-419": "progreso",
        "fr": "progression",
        "de": "fortschritt",
    }
    assert progress["description_localizations"]["de"].startswith(
        "Zeigt den Casual- und Hardcore-Fortschritt"
    )
    options = {option["name"]: option for option in progress["options"]}
    assert options["user"]["name_localizations"]["fr"] == "joueur"
    assert commands["leaderboard"]["name_localizations"]["pt-BR"] == "classificação"


async def test_a_title_that_names_several_games_in_german() -> None:
    async with running_sandbox(catalogue_dataset(), env=NO_COOLDOWN) as sandbox:
        answer = await sandbox.ask("progress", user="MaxMilyin", games="Sonic the Hedgehog", locale="de")
    assert answer["flags"] & 64
    assert answer["content"] == (
        "`Sonic the Hedgehog` passt auf 3 Spiele. Verwende die ID des gemeinten Spiels (oder seinen Link "
        "auf retroachievements.org) oder wähl es aus den Vorschlägen, die beim Tippen erscheinen.\n"
        "• Sonic the Hedgehog · Game Gear · ID `21`\n"
        "• Sonic the Hedgehog · Genesis/Mega Drive · ID `1`\n"
        "• Sonic the Hedgehog · Master System · ID `20`"
    )
