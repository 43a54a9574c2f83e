"""A seeded ground-truth world of accounts-receivable books, and the scorer of the engine against it.

`world.generate(seed, ...)` builds customers, open invoices, credit memos, a bank file of payments
and the truth of each payment (what a careful AR clerk would do). `run` loads a world into a real
server, lets it auto-apply, reads the outcome back, and `score` compares it with the truth.
"""
