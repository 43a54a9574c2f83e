"""Entries that took effect twice, found in the reconciliation report's one pass over the journal
(the pass that recomputes the hash chain): an invoice issued twice, a payment received twice or
returned twice.

This was a grouped query joining every journal line to its entry (2.6 of the report's 18 CPU
seconds at 100,000 payments, after it became one pass for the three kinds). Here each entry of the
three kinds adds the resources its lines name to a set per kind; only a resource seen again gets
a count. The resource is the invoice of an issue and the payment of a receipt or a return, as the
query grouped them (a line naming none counts under None, as the query's NULL group did).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from engine.journal_chain import ChainedEntry

# The kinds that take effect at most once per resource, in the order their repeats are reported.
ONCE_PER_RESOURCE = ("INVOICE_ISSUED", "PAYMENT_RECEIVED", "PAYMENT_RETURNED")


class RepeatedEffects:
    """Entries of the once-per-resource kinds seen so far, per kind and resource."""

    def __init__(self) -> None:
        self._seen: dict[str, set[str | None]] = {kind: set() for kind in ONCE_PER_RESOURCE}
        self._repeats: dict[tuple[str, str | None], int] = {}

    def observe(self, entries: Iterable[ChainedEntry]) -> Iterator[ChainedEntry]:
        """Passes the chain's entries through unchanged, noting each one's resources."""
        seen, repeats = self._seen, self._repeats
        for chained in entries:
            entry = chained.entry
            kind_seen = seen.get(entry.kind)
            if kind_seen is not None:
                by_invoice = entry.kind == "INVOICE_ISSUED"
                for key in {line.invoice_id if by_invoice else line.payment_id for line in entry.lines}:
                    if key in kind_seen:
                        repeats[(entry.kind, key)] = repeats.get((entry.kind, key), 1) + 1
                    else:
                        kind_seen.add(key)
            yield chained

    def repeated(self, limit: int) -> list[tuple[str, str | None, int]]:
        """(kind, resource, entries) of resources posted more than once, by kind in
        ONCE_PER_RESOURCE order and then resource (None first), at most `limit`."""
        rank = {kind: n for n, kind in enumerate(ONCE_PER_RESOURCE)}
        ordered = sorted(
            self._repeats.items(), key=lambda kv: (rank[kv[0][0]], kv[0][1] is not None, kv[0][1] or "")
        )
        return [(kind, key, n) for (kind, key), n in ordered[:limit]]
