"""The registry of message types: their zh/en names, default channels and rules.

The core registers its own three types here; a plugin registers its own through the
``register_message_types`` hook (the territories plugin's ``diversion_alert``, a future
commerce plugin's ``order_status``). A type nobody registered (a row written while a
plugin was enabled, read after it was disabled) still reads back and is delivered to the
inbox only (:data:`UNREGISTERED_CHANNELS`); a user cannot *choose* such a type
(:func:`parse_type` refuses it), since nothing would ever send it.
"""

from __future__ import annotations

from dataclasses import dataclass

from veriseal.notifications.errors import NotifyInputInvalid
from veriseal.notifications.models import Channel, MessageType

_I, _E, _S, _W = Channel.INBOX, Channel.EMAIL, Channel.SMS, Channel.WEBHOOK
_P = Channel.PUSH

#: Where a message of an unregistered type goes: the inbox, nothing that costs money.
UNREGISTERED_CHANNELS: tuple[Channel, ...] = (_I,)


@dataclass(frozen=True)
class MessageTypeSpec:
    """A message type and how it behaves.

    - ``channels``: where it goes for a user who has not chosen (alerts that need action
      go everywhere the user can be reached; marketing stays in the inbox);
    - ``broadcast``: an admin may send it to the users of an organisation subtree
      (``notify.broadcast``); other types are written by the system itself;
    - ``never_held``: a do-not-disturb window never holds it (security notices)."""

    type: MessageType
    name_en: str
    name_zh: str
    channels: tuple[Channel, ...] = (_I,)
    broadcast: bool = False
    never_held: bool = False


_REGISTRY: dict[MessageType, MessageTypeSpec] = {}


def register_message_type(spec: MessageTypeSpec) -> None:
    """Add ``spec``. The same spec again is a no-op (plugins load once per engine, tests
    open many engines); another spec under a registered name raises ``ValueError``."""
    mtype = MessageType(spec.type)
    held = _REGISTRY.get(mtype)
    if held is not None and held != spec:
        raise ValueError(f"message type {mtype} is registered already, differently")
    _REGISTRY[mtype] = spec


def spec(mtype: MessageType) -> MessageTypeSpec | None:
    """The registered spec of ``mtype``, or None."""
    return _REGISTRY.get(mtype)


def known() -> list[MessageType]:
    """Every registered type, the core's first."""
    return list(_REGISTRY)


def default_channels(mtype: MessageType) -> tuple[Channel, ...]:
    found = _REGISTRY.get(mtype)
    return found.channels if found is not None else UNREGISTERED_CHANNELS


def never_held(mtype: MessageType) -> bool:
    found = _REGISTRY.get(mtype)
    return found is not None and found.never_held


def broadcastable(mtype: MessageType) -> bool:
    found = _REGISTRY.get(mtype)
    return found is not None and found.broadcast


def parse_type(text: str) -> MessageType:
    """A registered type named ``text`` (``notify_input_invalid`` listing them otherwise)."""
    try:
        mtype = MessageType(text)
    except ValueError:
        mtype = None
    if mtype is None or mtype not in _REGISTRY:
        names = ", ".join(known())
        raise NotifyInputInvalid(f"unknown message type {text!r} (one of: {names})")
    return mtype


# Push is on by default: it reaches only browsers whose user asked for it on that device
# (and costs nothing). WeChat is not: a subscribe message needs a template per type and
# the user's consent in the mini-program, so a user turns it on per type.
for _spec in (
    MessageTypeSpec(MessageType.SYSTEM_NOTICE, "System notice", "系统通知", (_I, _E, _P), True),
    MessageTypeSpec(MessageType.CLONE_ALERT, "Clone alert", "仿冒预警", (_I, _E, _S, _W, _P)),
    MessageTypeSpec(
        MessageType.SECURITY_NOTICE,
        "Security notice",
        "安全提醒",
        (_I, _E, _S, _P),
        never_held=True,
    ),
):
    register_message_type(_spec)
