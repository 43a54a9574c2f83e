"""The Rust subset solver of cashapp, as its own distribution (cashapp-matcher).

Installing it is optional: ``engine.matching.solver`` imports the compiled module
``cashapp_matcher._matcher`` when it is present (``CASHAPP_MATCHER=auto`` or ``rust``) and
otherwise uses its pure-Python twin, which returns the same results bit for bit. The module
is private; the typed API is ``engine.matching.solver``.
"""
