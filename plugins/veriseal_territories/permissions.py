"""What the territories plugin adds to the core's open registries: its action and its
message type (registered by the hooks in :mod:`.plugin`)."""

from __future__ import annotations

from veriseal import Action, MessageType, Role
from veriseal.extend import Channel, MessageTypeSpec, Permission

#: Grant, suspend, revoke sales territories; move diversion alerts through their workflow.
TERRITORY_GRANT = Action("territory.grant")
#: A dealer's goods seen outside its territory (to the brand admins).
DIVERSION_ALERT = MessageType("diversion_alert")

PERMISSIONS = (
    Permission(
        TERRITORY_GRANT,
        frozenset({Role.PLATFORM_ADMIN, Role.BRAND_ADMIN}),
        "Grant sales territories; handle diversion alerts",
        "授权销售区域；处理窜货预警",
    ),
)

MESSAGE_TYPES = (
    MessageTypeSpec(
        DIVERSION_ALERT,
        "Diversion alert",
        "窜货预警",
        (Channel.INBOX, Channel.EMAIL, Channel.SMS, Channel.WEBHOOK),
    ),
)
