"""Driver failures as the ledger's errors: the driver's text is logged, never shown.

A driver's message names tables, columns, values and server internals; it is for the
operator's log. What callers (and through them HTTP clients) get is a coded error with a
fixed message; a :class:`~veriseal.errors.StorageError` also carries an ``incident`` id
(``details["incident"]``) that is in the log line too, so support can find the cause.
The log line names the request when the HTTP layer has set :data:`REQUEST_ID`.
"""

from __future__ import annotations

import logging
import secrets
from contextvars import ContextVar

from veriseal.errors import Conflict, IntegrityViolation, StorageError

log = logging.getLogger("veriseal.ledger")

#: The current request's id (the ``X-Request-Id`` the server answers with), for log
#: lines; set by the HTTP layer for the duration of a request, else None.
REQUEST_ID: ContextVar[str | None] = ContextVar("veriseal_request_id", default=None)

#: The fixed messages: stable texts, never a driver's.
STORAGE_MESSAGE = "the ledger could not complete the operation: try again later"
CONFLICT_MESSAGE = "already exists"
INTEGRITY_MESSAGE = "the write refers to a record that does not exist"


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def storage_error(backend: str, exc: BaseException) -> StorageError:
    """A StorageError for ``exc`` (logged with a fresh incident id)."""
    incident = secrets.token_hex(6)
    log.error(
        "%s failed (incident %s, request %s): %s",
        backend,
        incident,
        REQUEST_ID.get() or "-",
        _describe(exc),
    )
    return StorageError(STORAGE_MESSAGE, incident=incident)


def conflict(backend: str, exc: BaseException) -> Conflict:
    """A unique violation: expected in normal use (a taken e-mail), logged at debug."""
    log.debug(
        "%s unique violation (request %s): %s", backend, REQUEST_ID.get() or "-", _describe(exc)
    )
    return Conflict(CONFLICT_MESSAGE)


def integrity_violation(backend: str, exc: BaseException) -> IntegrityViolation:
    """A broken reference: a bug or a concurrent delete, logged as a warning."""
    log.warning(
        "%s integrity violation (request %s): %s", backend, REQUEST_ID.get() or "-", _describe(exc)
    )
    return IntegrityViolation(INTEGRITY_MESSAGE)
