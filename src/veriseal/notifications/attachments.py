"""Files a message carries by e-mail: what they may be.

Contracts:

- only the server attaches files (a scheduled report): the notifier's Python API takes
  them, no route does; a name is a plain file name (no folders, no control characters),
  a media type is ``type/subtype``, and a message carries at most
  :data:`MAX_ATTACHMENT_BYTES` in all (mail servers commonly refuse 25 MB after base64's
  third; a larger report goes as a link instead), else ``NotifyInputInvalid``;
- they are stored with the message, in its transaction, and only when the message has an
  e-mail delivery (nothing else would ever send them); their SQL is in
  :mod:`.attachment_store`;
- the worker loads them just before sending an e-mail, one delivery at a time, so a
  claim batch never holds files in memory;
- the content is dropped once no e-mail delivery of the message is pending; name and
  size stay for the history.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from veriseal.notifications.errors import NotifyInputInvalid
from veriseal.notifications.models import Attachment

#: all attachments of one message, in bytes
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 5
_NAME = re.compile(r"[^/\\\x00-\x1f\x7f]{1,120}")
_MEDIA = re.compile(r"[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*", re.IGNORECASE)


def check(attachments: Sequence[Attachment]) -> tuple[Attachment, ...]:
    """``attachments`` as a tuple, or ``NotifyInputInvalid`` naming what is wrong."""
    if len(attachments) > MAX_ATTACHMENTS:
        raise NotifyInputInvalid(f"a message carries at most {MAX_ATTACHMENTS} attachments")
    for a in attachments:
        if not _NAME.fullmatch(a.name) or a.name.strip(" .") == "":
            raise NotifyInputInvalid(f"attachment name {a.name!r} is not a plain file name")
        if not _MEDIA.fullmatch(a.media_type):
            raise NotifyInputInvalid(f"attachment type {a.media_type!r} is not type/subtype")
    if sum(len(a.content) for a in attachments) > MAX_ATTACHMENT_BYTES:
        raise NotifyInputInvalid(
            f"attachments hold at most {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB in all"
        )
    return tuple(attachments)
