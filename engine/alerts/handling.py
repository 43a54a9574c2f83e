"""What a person does with alerts: list them, read one, acknowledge it with who and why."""

from __future__ import annotations

from engine import model as m
from engine import validate as v
from engine.alerts.model import Alert, AlertKind
from engine.errors import InvalidArgument, NotFound
from engine.storage.store import Store, now_us

MAX_ACTOR_LENGTH = 128
MAX_NOTE_LENGTH = 2000


def get_alert(store: Store, alert_id: str, *, lock: bool = False) -> Alert:
    v.require_id(alert_id, "alert_id")
    alert = store.get_alert(alert_id, lock=lock)
    if alert is None:
        raise NotFound("ALERT_NOT_FOUND", f"alert {alert_id!r} does not exist", "alert_id")
    return alert


def list_alerts(
    store: Store,
    page_size: int,
    page_token: str,
    *,
    kind: AlertKind | None = None,
    customer_id: str = "",
    include_acknowledged: bool = False,
) -> m.Page[Alert]:
    if customer_id:
        v.require_id(customer_id, "customer_id")
    return store.list_alerts(
        page_size, page_token, open_only=not include_acknowledged, kind=kind, customer_id=customer_id
    )


def _required_text(value: str, field: str, limit: int) -> str:
    text = v.text(value, field, limit).strip()
    if not text:
        raise InvalidArgument("MISSING_TEXT", f"{field} must not be empty", field)
    return text


def acknowledge_alert(store: Store, alert_id: str, actor: str, note: str) -> Alert:
    """Marks the alert as looked at. One already acknowledged is answered as it is."""
    who = _required_text(actor, "actor", MAX_ACTOR_LENGTH)
    why = _required_text(note, "note", MAX_NOTE_LENGTH)
    alert = get_alert(store, alert_id, lock=True)
    if alert.open:
        store.acknowledge_alert(alert_id, who, why, now_us())
    return get_alert(store, alert_id)
