"""Filtered-stream rules: packed within the tier's limits, synced with the fewest changes."""

import random
import string

import pytest

from workers.ingest.x_rules import TAG, Rule, pack, sync


def handles(n: int, seed: int = 1) -> list[str]:
    """``n`` distinct handles of X's longest length (15), the worst case for packing."""
    rng = random.Random(seed)
    names: set[str] = set()
    while len(names) < n:
        names.add("".join(rng.choices(string.ascii_lowercase + string.digits + "_", k=15)))
    return sorted(names)


def listed(rules: list[Rule], first_id: int = 0) -> list[Rule]:
    """``rules`` as the API lists them once added: with ids."""
    return [Rule(r.value, r.tag, str(first_id + i)) for i, r in enumerate(rules)]


def test_ten_thousand_accounts_fit_the_pro_tier_and_each_is_in_one_rule() -> None:
    accounts = handles(10_000)
    rules = pack(accounts, max_length=1024)
    assert all(len(rule.value) <= 1024 and rule.tag == TAG for rule in rules)
    assert len(rules) <= 1000
    covered = [a for rule in rules for a in rule.accounts]
    assert sorted(covered) == accounts  # every account once


def test_a_rule_reads_as_from_clauses_joined_by_or() -> None:
    assert [r.value for r in pack(["bob", "alice", "carol"], max_length=22)] == ["from:alice OR from:bob", "from:carol"]


def test_following_one_more_account_adds_one_rule_and_deletes_none() -> None:
    accounts = handles(300)
    current = listed(pack(accounts, max_length=512))
    change = sync(current, [*accounts, "newcomer"], max_length=512, max_rules=1000)
    assert change.delete == [] and [r.value for r in change.add] == ["from:newcomer"]


def test_an_unfollow_replaces_only_the_rule_that_held_it() -> None:
    accounts = handles(300)
    current = listed(pack(accounts, max_length=512))
    gone = accounts[150]
    change = sync(current, [a for a in accounts if a != gone], max_length=512, max_rules=1000)
    assert [r.id for r in change.delete] == [r.id for r in current if gone in r.accounts]
    holder = next(r for r in current if gone in r.accounts)
    assert set().union(*(r.accounts for r in change.add)) == holder.accounts - {gone}


def test_rules_that_are_not_ours_stay_and_count_against_the_limit() -> None:
    manual = Rule("#bitcoin lang:en", tag="operator", id="99")
    change = sync([manual], handles(36), max_length=100, max_rules=10)  # four handles of 15 per rule
    assert manual not in change.delete and len(change.add) == 9
    with pytest.raises(ValueError, match="need 11 stream rules; the tier allows 10"):
        sync([manual], handles(37), max_length=100, max_rules=10)


def test_thinned_out_rules_are_packed_afresh_when_they_reach_the_limit() -> None:
    accounts = handles(100)
    one_per_rule = listed([Rule(f"from:{a}") for a in accounts])  # a history of single follows
    change = sync(one_per_rule, [*accounts, "newcomer"], max_length=512, max_rules=50)
    assert len(change.delete) == 100 and len(change.add) == len(pack([*accounts, "newcomer"], 512))


def test_a_sync_with_nothing_changed_changes_nothing() -> None:
    accounts = handles(50)
    assert sync(listed(pack(accounts, max_length=512)), accounts, max_length=512, max_rules=5).empty
