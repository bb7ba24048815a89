"""SQL of the files a message carries by e-mail (see :mod:`.attachments`)."""

from __future__ import annotations

from collections.abc import Sequence

from veriseal.ledger.base import Tx
from veriseal.notifications.models import Attachment


async def insert(tx: Tx, message_id: int, attachments: Sequence[Attachment]) -> None:
    """Store ``attachments`` of message ``message_id`` inside ``tx``."""
    for a in attachments:
        await tx.execute(
            "INSERT INTO notify_attachments (message_id, name, media_type, size, content)"
            " VALUES (?, ?, ?, ?, ?)",
            message_id, a.name, a.media_type, len(a.content), a.content,
        )  # fmt: skip


async def load(tx: Tx, message_id: int) -> tuple[Attachment, ...]:
    """The attachments of ``message_id`` whose content is still held, in order."""
    rows = await tx.fetch(
        "SELECT name, media_type, content FROM notify_attachments"
        " WHERE message_id = ? AND content IS NOT NULL ORDER BY id",
        message_id,
    )
    return tuple(Attachment(r["name"], r["media_type"], bytes(r["content"])) for r in rows)


async def drop_sent(tx: Tx, outbox_id: int) -> None:
    """Drop the content of the attachments of delivery ``outbox_id``'s message once no
    e-mail delivery of it is pending (delivered or failed for good: never sent again)."""
    await tx.execute(
        "UPDATE notify_attachments SET content = NULL WHERE content IS NOT NULL AND"
        " message_id = (SELECT message_id FROM notify_outbox WHERE id = ?) AND NOT EXISTS"
        " (SELECT 1 FROM notify_outbox p WHERE p.message_id = notify_attachments.message_id"
        "  AND p.status = 'pending' AND p.channel = 'email')",
        outbox_id,
    )
