"""The exception tree's root and the errors every layer shares. Every error carries a
stable machine-readable ``code``.

The HTTP layer maps ``code`` to a status (``http_status``); the CLI maps it to a message
and an exit code. Callers MUST branch on ``code``, never on the message text, which is
for humans and may change. A new code MUST NOT reuse an old one's meaning.

::

    VerisealError                      (code: "error")
    ├── InvalidInput                   (400) malformed user input
    │   └── TextInvalid                "text_invalid": text no ledger can store (a NUL, an
    │                                  unpaired surrogate)
    ├── NotFound                       (404) "not_found" + subclasses per entity
    │   ├── BrandNotFound              "brand_not_found"
    │   ├── ProductNotFound            "product_not_found"
    │   ├── BatchNotFound              "batch_not_found"
    │   └── KeyNotFound                "key_not_found"
    ├── Conflict                       (409) "conflict": a unique thing exists already
    │   └── IntegrityViolation         "integrity_violation": a write names a missing row
    ├── KeyProblem                     (403) "key_problem": key material problems
    │   ├── KeyRevoked                 "key_revoked"
    │   ├── KeyringLocked              "keyring_locked": no / wrong passphrase
    │   └── KeySpaceExhausted          "key_space_exhausted": rotate the key
    ├── RateLimited                    (429) "rate_limited": slow down (details: retry_after)
    ├── ConfigError                    (500) "config_invalid"
    ├── StorageError                   (503) "storage_unavailable"
    └── ListenFailed                   (503) "listen_failed": the server cannot listen on
                                       its address (port in use, no such address)

Each domain keeps its own coded errors in its ``errors`` module, subclassing these:
:mod:`veriseal.codes.errors` (``code_invalid``, ``signature_not_canonical``,
``gtin_invalid``, ``digital_link_invalid``, ``pin_invalid``),
:mod:`veriseal.catalog.errors` (``batch_recalled`` (410), ``csv_invalid``,
``lot_dot_segment``), :mod:`veriseal.lifecycle.errors` (packing, SSCCs, ranges,
locations), :mod:`veriseal.scanning.errors` (``scan_time_invalid``, ``item_unknown``),
:mod:`veriseal.accounts.errors` and :mod:`veriseal.notifications.errors`. The records'
not-found errors and the key errors stay here because the ledger raises them.
"""

from __future__ import annotations

from typing import Any, ClassVar


class VerisealError(Exception):
    """Base of all Veriseal errors. ``code`` is stable; ``message`` is for humans."""

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details

    def to_dict(self) -> dict[str, Any]:
        """The JSON error body: ``{"error": {"code": ..., "message": ..., "details": ...}}``."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}


class InvalidInput(VerisealError):
    code = "invalid_input"
    http_status = 400
    exit_code = 2


class TextInvalid(InvalidInput):
    """Text holding a character no ledger backend can store: NUL (PostgreSQL refuses it)
    or an unpaired surrogate (U+D800..U+DFFF, which is not UTF-8 text at all). Raised
    before the value reaches a database, so it never fails a shared transaction."""

    code = "text_invalid"


class NotFound(VerisealError):
    code = "not_found"
    http_status = 404
    exit_code = 3


class BrandNotFound(NotFound):
    code = "brand_not_found"


class ProductNotFound(NotFound):
    code = "product_not_found"


class CategoryNotFound(NotFound):
    """No category with this id in the brand's tree."""

    code = "category_not_found"


class BatchNotFound(NotFound):
    code = "batch_not_found"


class KeyNotFound(NotFound):
    code = "key_not_found"


class Conflict(VerisealError):
    code = "conflict"
    http_status = 409
    exit_code = 4


class IntegrityViolation(Conflict):
    """A write broke a reference the database enforces. Services check first, so this
    means a bug or a concurrent delete, not an unavailable ledger."""

    code = "integrity_violation"


class KeyProblem(VerisealError):
    code = "key_problem"
    http_status = 403
    exit_code = 5


class KeyRevoked(KeyProblem):
    code = "key_revoked"


class KeyringLocked(KeyProblem):
    code = "keyring_locked"


class KeySpaceExhausted(KeyProblem):
    code = "key_space_exhausted"


class RateLimited(VerisealError):
    code = "rate_limited"
    http_status = 429
    exit_code = 9


class ConfigError(VerisealError):
    code = "config_invalid"
    http_status = 500
    exit_code = 7


class StorageError(VerisealError):
    code = "storage_unavailable"
    http_status = 503
    exit_code = 8


class ListenFailed(VerisealError):
    """The operating system refused the server's address: the port is in use, the
    address is not this machine's, or binding needs privileges. Exit code 71 is
    ``EX_OSERR`` of sysexits.h, next to the CLI's 70 for an internal error."""

    code = "listen_failed"
    http_status = 503
    exit_code = 71
