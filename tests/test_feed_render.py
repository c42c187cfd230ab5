"""The feed's rendering, exactly: a post, a grouped post, the welcome message and `/feed status`."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.feed.reasons import encode_reason
from bot.i18n.catalogues import language_for, load_all
from bot.i18n.language import msg
from bot.ra.awards import GameAward
from bot.render.feed import FeedItem, FeedStatusView, render_feed_message, render_status, render_welcome

load_all()
T0 = datetime(2026, 11, 30, 21, 0, 0, tzinfo=UTC)
ICON = "https://media.retroachievements.org/Images/000002.png"
BEATEN = GameAward("Scott", "01J", "beaten-softcore", T0, 2, "Sonic *2*", 1, "Genesis/Mega Drive")
UNTITLED = GameAward("Jamiras", "01K", "completed", T0, 9, "", 1, "")
FOOTER = {"text": "Data from RetroAchievements.org"}
ORANGE = 13408512


def test_one_award_is_one_line_and_one_embed_with_everything_escaped() -> None:
    message = render_feed_message([FeedItem(BEATEN, 7, ICON)])
    assert message.content == r"<@7> beat **Sonic \*2\*** in softcore!"
    assert [embed.to_dict() for embed in message.embeds] == [
        {
            "title": r"🏁 Beaten in softcore: Sonic \*2\*",
            "url": "https://retroachievements.org/game/2",
            "description": "<@7> · Genesis/Mega Drive",
            "color": 0x7289DA,
            "timestamp": "2026-11-30T21:00:00+00:00",
            "author": {
                "name": "Scott",
                "url": "https://retroachievements.org/user/Scott",
                "icon_url": "https://media.retroachievements.org/UserPic/Scott.png",
            },
            "thumbnail": {"url": ICON},
            "footer": FOOTER,
            "type": "rich",
            "flags": 0,
        }
    ]


def test_each_kind_has_its_mark_words_and_colour() -> None:
    kinds = {
        "mastered": ("👑 Mastered", "<@1> mastered **Sonic \\*2\\***!", ORANGE),
        "completed": ("✅ Completed", "<@1> completed **Sonic \\*2\\***!", 0x3BA55C),
        "beaten-hardcore": ("🏁 Beaten in hardcore", "<@1> beat **Sonic \\*2\\*** in hardcore!", 0xD9534F),
    }
    for kind, (heading, line, colour) in kinds.items():
        award = GameAward("Scott", "01J", kind, T0, 2, "Sonic *2*", 1, "NES")
        message = render_feed_message([FeedItem(award, 1)])
        embed = message.embeds[0].to_dict()
        assert (message.content, embed["title"], embed["color"]) == (
            line,
            f"{heading}: Sonic \\*2\\*",
            colour,
        )


def test_several_awards_name_each_member_once_in_the_servers_language() -> None:
    items = [FeedItem(BEATEN, 7), FeedItem(UNTITLED, 8), FeedItem(BEATEN, 7)]
    message = render_feed_message(items, language_for("de"))
    assert message.content == "**3 neue Auszeichnungen** für <@7>, <@8>"
    assert len(message.embeds) == 3
    assert message.embeds[1].to_dict() == {
        "title": "✅ Abgeschlossen: Spiel #9",  # no title from upstream: the game's number
        "url": "https://retroachievements.org/game/9",
        "description": "<@8>",  # no console from upstream: nothing after the member
        "color": 0x3BA55C,
        "timestamp": "2026-11-30T21:00:00+00:00",
        "author": {
            "name": "Jamiras",
            "url": "https://retroachievements.org/user/Jamiras",
            "icon_url": "https://media.retroachievements.org/UserPic/Jamiras.png",
        },
        "footer": {"text": "Daten von RetroAchievements.org"},
        "type": "rich",
        "flags": 0,
    }


def test_two_awards_in_english_say_so() -> None:
    message = render_feed_message([FeedItem(BEATEN, 7), FeedItem(UNTITLED, 7)])
    assert message.content == "**2 new awards** for <@7>"


def test_the_welcome_names_the_kinds_and_how_members_take_part() -> None:
    welcome = render_welcome(frozenset({"beaten-hardcore", "mastered"}))
    assert welcome.content == "📣 This channel now announces RetroAchievements awards."
    assert [embed.to_dict() for embed in welcome.embeds] == [
        {
            "title": "Award feed",
            "description": "Awards of this server's members are announced here: mastered, beaten hardcore.\n"
            "Members take part by linking their RetroAchievements account with `/link`; awards earned "
            "after that are posted within minutes. `/unlink` stops it.",
            "color": ORANGE,
            "footer": FOOTER,
            "type": "rich",
            "flags": 0,
        }
    ]


def test_the_status_of_a_working_feed() -> None:
    status = FeedStatusView(55, frozenset({"mastered"}), None, T0, None, None, None, 1)
    assert render_status(status).to_dict() == {
        "title": "Award feed",
        "description": "**Posting in** <#55>\n**Kinds**: mastered\n**Last checked**: <t:1796072400:R>\n"
        "**Last post**: none yet\n**Posted in the last 24 hours**: 1 award\n**Last error**: none",
        "color": ORANGE,
        "type": "rich",
        "flags": 0,
    }


def test_the_status_of_a_paused_feed_says_why_and_how_to_resume() -> None:
    reason = encode_reason(
        msg("missing permission: {permission} in {channel}", permission="Send Messages", channel="<#55>")
    )
    status = FeedStatusView(55, frozenset({"completed", "mastered"}), reason, None, T0, "x" * 400, None, 3)
    assert render_status(status).description == (
        "**Paused**: missing permission: Send Messages in <#55>\n"
        "To resume, fix that, then use `/feed set` again. (It posts in <#55>.)\n"
        "**Kinds**: mastered, completed\n**Last checked**: not yet\n**Last post**: <t:1796072400:R>\n"
        "**Posted in the last 24 hours**: 3 awards\n"
        f"**Last error**: {'x' * 299}… (at an unknown time)"
    )


def test_a_last_error_with_its_time_and_a_status_in_german() -> None:
    status = FeedStatusView(55, frozenset({"mastered"}), None, None, None, "boom", T0, 0)
    description = render_status(status, language_for("de")).description or ""
    assert description.endswith("boom (<t:1796072400:R>)")
    assert "<#55>" in description and "Posting in" not in description


def test_the_kinds_are_in_the_readers_words() -> None:
    german = language_for("de")
    kinds = frozenset({"beaten-hardcore", "mastered"})
    welcome = render_welcome(kinds, german).embeds[0].description or ""
    status = render_status(FeedStatusView(55, kinds, None, None, None, None, None, 0), german)
    assert "gemeistert, abgeschlossen (Hardcore)" in welcome
    assert "gemeistert, abgeschlossen (Hardcore)" in (status.description or "")


def test_a_reason_of_exactly_the_limit_is_kept_whole() -> None:
    status = FeedStatusView(55, frozenset({"mastered"}), None, None, None, "y" * 300, None, 0)
    assert (render_status(status).description or "").endswith(
        f"**Last error**: {'y' * 300} (at an unknown time)"
    )


def test_a_post_of_no_award_or_of_eleven_is_refused() -> None:
    for count in (0, 11):
        try:
            render_feed_message([FeedItem(BEATEN, 7)] * count)
        except ValueError as error:
            assert str(error) == f"a feed post holds 1 to 10 awards, not {count}"
        else:
            raise AssertionError(f"{count} awards made a post")
