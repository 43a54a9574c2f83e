"""Step 1 of matching: whose money is this?

In order of trust: the customer the caller named; the owner of the payer account (exact); the one
customer that the payment's invoice references belong to; the payer name matched fuzzily against
names and aliases (rapidfuzz), refusing a near tie between two customers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from rapidfuzz import fuzz, process, utils

from engine import model as m
from engine.matching.legal_forms import strip_legal_form

# A payer-name match needs this score (0..100), and the best other customer must trail it by
# at least NAME_MARGIN, or the name identifies nobody.
NAME_THRESHOLD = 88.0
NAME_MARGIN = 6.0


# cleanco knows "GmbH" but not the spelled-out German forms; these are stripped before it runs.
_SPELLED_OUT_FORMS = re.compile(
    r"[\s,]+(gesellschaft\s+mit\s+beschr(ae|ä)nkter\s+haftung|gesellschaft\s+mbh|g\.\s*m\.\s*b\.\s*h\.?)$",
    re.IGNORECASE,
)
_NOT_WORD = re.compile(r"[^\w]+")
# Names whose key is kept: every batch compares payer names with all customer names, so each name
# is normalized once.
COMPANY_KEY_CACHE_SIZE = 1 << 17
MIN_BLOCK_LENGTH = 3  # words shorter than this ("&", "of") block nothing


@functools.lru_cache(maxsize=COMPANY_KEY_CACHE_SIZE)
def company_key(name: str) -> str:
    """A company name without its legal form, case, punctuation and "&" spelled as "and", so
    that "Beta Logistics B.V." and "BETA LOGISTICS BV" compare as one name."""
    bare = _SPELLED_OUT_FORMS.sub("", name.strip())
    bare = strip_legal_form(strip_legal_form(bare)) or bare  # twice: "Foo GmbH & Co. KG"
    words = _NOT_WORD.sub(" ", bare.casefold().replace("&", " and ")).split()
    return " ".join(words) or utils.default_process(name)


@functools.lru_cache(maxsize=COMPANY_KEY_CACHE_SIZE)
def _blocks(key: str) -> frozenset[str]:
    """The blocking keys of a normalized name: its words and their first three letters. Kept
    like the keys: a tenant's index is rebuilt from every name whenever a customer changes."""
    words = [w for w in key.split() if len(w) >= MIN_BLOCK_LENGTH]
    return frozenset((*words, *(f"{w[:MIN_BLOCK_LENGTH]}~" for w in words)))


@dataclass(frozen=True, slots=True)
class Identification:
    customer_id: str | None
    by: str  # REQUEST | PAYER_ACCOUNT | REFERENCE | PAYER_NAME | NONE
    detail: str


class NameIndex:
    """Every customer's display name and aliases, for fuzzy payer-name look-ups. Loaded on the
    first look-up only: most payments are identified by account or reference, and a tenant may
    have many customers."""

    def __init__(self, load: Callable[[], Iterable[tuple[str, str, tuple[str, ...]]]]) -> None:
        self._load: Callable[[], Iterable[tuple[str, str, tuple[str, ...]]]] | None = load
        self._names: list[str] = []
        self._owners: list[str] = []
        self._blocks: dict[str, list[int]] = {}

    def load(self) -> None:
        """Loads the names now (a kept index is loaded before it is shared)."""
        self._loaded()

    def _loaded(self) -> None:
        if self._load is not None:
            for customer_id, display_name, aliases in self._load():
                for name in (display_name, *aliases):
                    key = company_key(name)
                    for block in _blocks(key):
                        self._blocks.setdefault(block, []).append(len(self._names))
                    self._names.append(key)
                    self._owners.append(customer_id)
            self._load = None

    def _candidates(self, key: str) -> list[str] | dict[int, str]:
        """The names sharing a word, or a word's first letters, with the key: a name that shares
        neither cannot reach the threshold, and scoring every name of a large tenant for every
        payer name would make the cost grow with the book."""
        found = sorted({i for block in _blocks(key) for i in self._blocks.get(block, ())})
        if len(found) * 2 > len(self._names):
            return self._names
        return {i: self._names[i] for i in found}

    def best(self, payer_name: str) -> Identification:
        if not payer_name.strip():
            return Identification(None, "NONE", "no payer name")
        self._loaded()
        if not self._names:
            return Identification(None, "NONE", "no customers to match the payer name against")
        key = company_key(payer_name)
        hits = process.extract(key, self._candidates(key), scorer=fuzz.token_sort_ratio, limit=20)
        if not hits:
            return Identification(None, "NONE", "no customer name shares a word with the payer name")
        best_by_owner: dict[str, float] = {}
        for _name, score, index in hits:
            owner = self._owners[index]
            best_by_owner[owner] = max(best_by_owner.get(owner, 0.0), score)
        ranked = sorted(best_by_owner.items(), key=lambda kv: (-kv[1], kv[0]))
        top_owner, top_score = ranked[0]
        runner_score = ranked[1][1] if len(ranked) > 1 else 0.0
        if top_score < NAME_THRESHOLD:
            return Identification(None, "NONE", f"best name score {top_score:.0f} below {NAME_THRESHOLD:.0f}")
        if top_score - runner_score < NAME_MARGIN:
            return Identification(
                None, "NONE", f"payer name ties between {ranked[0][0]!r} and {ranked[1][0]!r}"
            )
        return Identification(top_owner, "PAYER_NAME", f"payer name score {top_score:.0f}")


class NameLookup(Protocol):
    def best(self, payer_name: str) -> Identification: ...


def identify(
    payment: m.Payment,
    account_owner: str | None,
    referenced_customers: set[str],
    names: NameLookup,
) -> Identification:
    if payment.given_customer_id:  # not the one an earlier decision identified: that is re-checked
        return Identification(payment.given_customer_id, "REQUEST", "customer given with the payment")
    if account_owner:
        return Identification(account_owner, "PAYER_ACCOUNT", f"payer account {payment.payer_account}")
    if len(referenced_customers) == 1:
        (owner,) = referenced_customers
        return Identification(owner, "REFERENCE", "the referenced invoices belong to one customer")
    by_name = names.best(payment.payer_name)
    if len(referenced_customers) > 1 and by_name.customer_id not in referenced_customers:
        return Identification(None, "NONE", "references point to several customers")
    return by_name
