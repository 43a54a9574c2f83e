"""Who makes the current call: the actor the engine writes on what a person's call changes.

The server resolves it from the call's credentials (server/auth.py) and sets it here, in the
call's own context (each RPC's work runs in a copy of its context, server/rpc.py), so that every
application, return and decision made by the call carries it without being passed through every
engine function. Empty with authentication off, and for work no call started.
"""

from __future__ import annotations

from contextvars import ContextVar

MAX_ACTOR_LENGTH = 300  # a token's description (256) with its id around it

current_actor: ContextVar[str] = ContextVar("cashapp_actor", default="")


def actor() -> str:
    """The current call's actor, "" when none."""
    return current_actor.get()
