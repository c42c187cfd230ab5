"""The memory of members' links that spares autocomplete a database trip per keystroke."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.storage.base import NOT_KNOWN, LinkedAccount
from bot.storage.link_memo import LinkMemo

WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def account(member: int, name: str, ulid: str = "01J0000000000000000000000A") -> LinkedAccount:
    return LinkedAccount(member, ulid, name, WHEN)


ALICE = account(1, "Alice")
BOB = account(2, "Bob", "01J0000000000000000000000B")


def test_a_member_never_seen_is_not_known() -> None:
    memo = LinkMemo(cap=10)
    assert memo.get(1) is NOT_KNOWN
    assert len(memo) == 0


def test_a_read_no_change_overlapped_is_kept_none_included() -> None:
    memo = LinkMemo(cap=10)
    memo.fill(memo.stamp(), 1, ALICE)
    memo.fill(memo.stamp(), 2, None)
    assert memo.get(1) == ALICE
    assert memo.get(2) is None
    assert len(memo) == 2


CHANGES: list[Callable[[LinkMemo], None]] = [
    lambda memo: memo.forget(9),
    lambda memo: memo.forget_account("01J0000000000000000000000Z"),
    lambda memo: memo.clear(),
]


@pytest.mark.parametrize("earlier", [None, *CHANGES])
@pytest.mark.parametrize("changes", [[a] for a in CHANGES] + [[a, b] for a in CHANGES for b in CHANGES])
def test_a_read_that_changes_overlapped_is_not_kept(
    earlier: Callable[[LinkMemo], None] | None, changes: list[Callable[[LinkMemo], None]]
) -> None:
    memo = LinkMemo(cap=10)
    if earlier is not None:
        earlier(memo)  # changes before the read do not matter
    memo.fill(memo.stamp(), 2, BOB)
    stamp = memo.stamp()
    for change in changes:
        change(memo)  # writes land while the read is running: what it saw may be old
    memo.fill(stamp, 1, ALICE)
    assert memo.get(1) is NOT_KNOWN
    memo.fill(memo.stamp(), 1, ALICE)  # a read after them is kept
    assert memo.get(1) == ALICE


def remembering(*links: tuple[int, LinkedAccount | None], cap: int = 10) -> LinkMemo:
    memo = LinkMemo(cap)
    for member, link in links:
        memo.fill(memo.stamp(), member, link)
    return memo


def test_writes_drop_what_they_change() -> None:
    memo = remembering((1, ALICE), (2, BOB))
    memo.forget(1)
    memo.forget(3)  # never known: nothing to do
    assert (memo.get(1), memo.get(2)) == (NOT_KNOWN, BOB)
    memo.clear()
    assert (memo.get(2), len(memo)) == (NOT_KNOWN, 0)


def test_a_renamed_account_drops_exactly_its_members() -> None:
    memo = remembering((1, ALICE), (2, BOB), (3, account(3, "Alice")), (4, None))
    memo.forget_account(ALICE.ra_ulid)
    assert [memo.get(member) for member in (1, 2, 3, 4)] == [NOT_KNOWN, BOB, NOT_KNOWN, None]


def test_at_its_cap_a_new_member_starts_it_again_and_a_known_one_does_not() -> None:
    memo = remembering((1, ALICE), (2, BOB), cap=2)
    memo.fill(memo.stamp(), 2, None)  # already there: replaced in place
    assert (memo.get(1), memo.get(2), len(memo)) == (ALICE, None, 2)
    memo.fill(memo.stamp(), 3, None)
    assert (memo.get(1), memo.get(2), memo.get(3), len(memo)) == (NOT_KNOWN, NOT_KNOWN, None, 1)


def test_a_member_is_filed_under_the_account_they_are_remembered_with_only() -> None:
    bob_for_1 = account(1, "Bob", BOB.ra_ulid)
    memo = remembering((1, ALICE), (2, BOB))
    memo.fill(memo.stamp(), 1, bob_for_1)  # member 1 read again: now linked to Bob's account
    memo.forget_account(ALICE.ra_ulid)
    assert (memo.get(1), memo.get(2)) == (bob_for_1, BOB)
    memo.forget_account(BOB.ra_ulid)
    assert (memo.get(1), memo.get(2)) == (NOT_KNOWN, NOT_KNOWN)

    memo = remembering((1, ALICE), (3, account(3, "Alice")))
    memo.forget(1)
    memo.fill(memo.stamp(), 1, None)  # unlinked meanwhile
    memo.forget_account(ALICE.ra_ulid)
    assert (memo.get(1), memo.get(3)) == (None, NOT_KNOWN)


def test_starting_again_at_the_cap_forgets_the_accounts_too() -> None:
    memo = remembering((1, ALICE), cap=1)
    memo.fill(memo.stamp(), 2, BOB)  # at the cap: starts again
    memo.forget_account(ALICE.ra_ulid)  # nothing left of Alice's to drop
    memo.fill(memo.stamp(), 1, ALICE)
    memo.forget_account(BOB.ra_ulid)
    assert (memo.get(1), memo.get(2), len(memo)) == (ALICE, NOT_KNOWN, 1)
