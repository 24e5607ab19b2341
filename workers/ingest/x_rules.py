"""Filtered-stream rules for the accounts users follow: ``from:`` clauses packed into few rules, and
the smallest change that brings the stream's rules to a new set of accounts.

A rule is ``from:a OR from:b OR …`` no longer than the tier's rule length; its tag is ``tickertape`` so
rules the operator added by hand are never touched. A sync keeps every rule whose accounts are all still
followed, deletes those holding an account no longer followed, and packs what is left over (their other
accounts and the newly followed ones) into new rules — so following one more account adds one rule or
none rather than rewriting them all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

TAG = "tickertape"
_CLAUSE = "from:"
_OR = " OR "


@dataclass(frozen=True)
class Rule:
    """A stream rule as the API lists it: its ``id`` (None before it is added), ``value`` and ``tag``."""

    value: str
    tag: str = TAG
    id: str | None = None

    @property
    def accounts(self) -> frozenset[str]:
        """The handles of a rule this module wrote (``from:`` clauses joined by OR), lower case."""
        return frozenset(clause.removeprefix(_CLAUSE).lower() for clause in self.value.split(_OR))


@dataclass(frozen=True)
class RuleChange:
    """What a sync sends: rules to delete (by id) and rules to add."""

    delete: list[Rule]
    add: list[Rule]

    @property
    def empty(self) -> bool:
        return not self.delete and not self.add


def pack(accounts: Iterable[str], max_length: int) -> list[Rule]:
    """``accounts`` (handles) as few rules as ``max_length`` characters allow, in sorted order."""
    rules: list[Rule] = []
    value = ""
    for account in sorted(set(accounts)):
        clause = _CLAUSE + account
        if len(clause) > max_length:
            raise ValueError(f"the handle {account!r} does not fit in a rule of {max_length} characters")
        if value and len(value) + len(_OR) + len(clause) > max_length:
            rules.append(Rule(value))
            value = ""
        value = f"{value}{_OR}{clause}" if value else clause
    return [*rules, Rule(value)] if value else rules


def sync(current: Iterable[Rule], accounts: Iterable[str], max_length: int, max_rules: int) -> RuleChange:
    """The change from the stream's ``current`` rules to rules covering exactly ``accounts``.

    When keeping rules would need more than ``max_rules`` (kept rules thin out as follows churn), every
    rule of ours is packed afresh; raises ValueError when even that needs more than the tier allows,
    counting the rules that are not ours, which stay."""
    current = list(current)
    wanted = {account.lower() for account in accounts}
    ours = [rule for rule in current if rule.tag == TAG]
    theirs = len(current) - len(ours)
    kept = [rule for rule in ours if rule.accounts <= wanted]
    covered = set().union(*(rule.accounts for rule in kept))
    added = pack(wanted - covered, max_length)
    if theirs + len(kept) + len(added) > max_rules:
        kept, added = [], pack(wanted, max_length)
        if theirs + len(added) > max_rules:
            raise ValueError(f"{len(wanted)} followed accounts need {theirs + len(added)} stream rules; "
                             f"the tier allows {max_rules}")
    return RuleChange(delete=[rule for rule in ours if rule not in kept], add=added)
