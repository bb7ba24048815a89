"""SQL for the accounts tables (migration 0004), over the ledger's transactions.

No rules live here: the store reads and appends what :mod:`veriseal.accounts.service`
decides. Every mutation that matters for security is written together with its
``audit_log`` row, in the same transaction, by the ``audit=`` argument.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from veriseal.accounts.errors import OrgNotFound, UserNotFound
from veriseal.accounts.models import (
    ApiToken,
    AuditEntry,
    AuditQuery,
    Org,
    OrgKind,
    Role,
    TokenKind,
    User,
    UserQuery,
    UserStatus,
)
from veriseal.ledger import Ledger
from veriseal.ledger.base import Row, Tx
from veriseal.ledger.rows import ts

_USER_COLS = (
    "id, email, phone, display_name, role, org_id, status, created_at, profile,"
    " password_hash IS NOT NULL AS has_password"
)

#: The same columns read through the alias ``u`` (queries that join ``orgs``).
_USER_COLS_U = ", ".join(f"u.{c.strip()}" for c in _USER_COLS.split(","))


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _opt_ts(value: Any) -> dt.datetime | None:
    return None if value is None else ts(value)


def _user(row: Row) -> User:
    return User(
        id=int(row["id"]),
        email=row["email"],
        phone=row["phone"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        org_id=row["org_id"],
        status=UserStatus(row["status"]),
        created_at=ts(row["created_at"]),
        profile=json.loads(row["profile"]),
        has_password=bool(row["has_password"]),
    )


def _org(row: Row) -> Org:
    return Org(
        id=int(row["id"]),
        brand_id=row["brand_id"],
        kind=OrgKind(row["kind"]),
        name=row["name"],
        parent_id=row["parent_id"],
        path=row["path"],
        profile=json.loads(row["profile"]),
    )


def _token(row: Row) -> ApiToken:
    return ApiToken(
        id=int(row["id"]),
        user_id=int(row["user_id"]),
        name=row["name"],
        scopes=tuple(json.loads(row["scopes"])),
        kind=TokenKind(row["kind"]),
        created_at=ts(row["created_at"]),
        expires_at=_opt_ts(row["expires_at"]),
        revoked_at=_opt_ts(row["revoked_at"]),
        last_used=_opt_ts(row["last_used"]),
    )


@dataclass(frozen=True)
class Audit:
    """An audit row to append with a change: who did what to which target, from where."""

    actor_id: int | None
    brand_id: int | None
    action: str
    target: str
    client: str
    details: dict[str, Any]


@dataclass(frozen=True)
class NewUser:
    """A user row to insert (:meth:`AccountStore.insert_user`)."""

    email: str | None
    phone: str | None
    display_name: str
    role: Role
    org_id: int | None
    status: UserStatus
    password_hash: str | None


@dataclass(frozen=True)
class LoginAttempt:
    at: dt.datetime
    user_id: int | None
    identifier: str
    client: str
    device: str
    region: str
    method: str
    success: bool
    reason: str


def subtree_bounds(path: str) -> tuple[str, str]:
    """``(low, high)`` such that ``low <= p < high`` iff ``p`` starts with ``path``.

    Paths end with ``/`` (0x2F); the next byte is ``0`` (0x30), so every descendant
    sorts before ``path[:-1] + "0"``. Both backends compare these columns bytewise
    (SQLite BINARY, PostgreSQL ``COLLATE "C"``), so the range uses the index.
    """
    return path, path[:-1] + "0"


class AccountStore:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    @staticmethod
    async def append_audit(tx: Tx, audit: Audit | None) -> None:
        """Append ``audit`` inside the caller's transaction (None: nothing)."""
        if audit is None:
            return
        await tx.execute(
            "INSERT INTO audit_log (at, actor_id, brand_id, action, target, client, details)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            now(),
            audit.actor_id,
            audit.brand_id,
            audit.action,
            audit.target,
            audit.client,
            json.dumps(audit.details, ensure_ascii=False, sort_keys=True),
        )

    async def audit(self, audit: Audit) -> None:
        async with self.ledger.write() as tx:
            await self.append_audit(tx, audit)

    # -- organisations -----------------------------------------------------------------
    async def add_org(
        self,
        brand_id: int | None,
        kind: OrgKind,
        name: str,
        parent: Org | None,
        profile: dict[str, str],
        audit: Audit | None,
    ) -> Org:
        async with self.ledger.write() as tx:
            row = await tx.fetchrow(
                "INSERT INTO orgs (brand_id, kind, name, parent_id, path, profile, created_at)"
                " VALUES (?, ?, ?, ?, '', ?, ?) RETURNING id",
                brand_id,
                str(kind),
                name,
                None if parent is None else parent.id,
                json.dumps(profile, ensure_ascii=False),
                now(),
            )
            assert row is not None
            org_id = int(row["id"])
            path = f"{parent.path if parent else '/'}{org_id}/"
            await tx.execute("UPDATE orgs SET path = ? WHERE id = ?", path, org_id)
            if audit is not None:
                audit = replace(audit, target=f"org:{org_id}")
            await self.append_audit(tx, audit)
        return Org(org_id, brand_id, kind, name, parent.id if parent else None, path, profile)

    async def get_org(self, org_id: int) -> Org:
        async with self.ledger.read() as tx:
            row = await tx.fetchrow("SELECT * FROM orgs WHERE id = ?", org_id)
        if row is None:
            raise OrgNotFound(f"no organisation {org_id}")
        return _org(row)

    async def get_orgs(self, org_ids: Iterable[int]) -> dict[int, Org]:
        """The organisations of ``org_ids`` that exist, by id (one query per 500 ids)."""
        wanted, out = sorted(set(org_ids)), {}
        async with self.ledger.read() as tx:
            for i in range(0, len(wanted), 500):  # far below any parameter limit
                part = wanted[i : i + 500]
                for row in await tx.fetch(
                    f"SELECT * FROM orgs WHERE id IN ({', '.join('?' * len(part))})", *part
                ):
                    org = _org(row)
                    out[org.id] = org
        return out

    async def brand_org(self, brand_id: int) -> Org | None:
        async with self.ledger.read() as tx:
            row = await tx.fetchrow(
                "SELECT * FROM orgs WHERE brand_id = ? AND kind = 'brand' ORDER BY id LIMIT 1",
                brand_id,
            )
        return None if row is None else _org(row)

    async def subtree(
        self, root: Org, after_path: str | None = None, limit: int | None = None
    ) -> list[Org]:
        """``root`` and everything below it in path order (parents before children);
        a page of ``limit`` after the node whose path is ``after_path``."""
        low, high = subtree_bounds(root.path)
        sql = "SELECT * FROM orgs WHERE path >= ? AND path < ?"
        args: list[object] = [low, high]
        if after_path is not None:
            sql += " AND path > ?"
            args.append(after_path)
        sql += " ORDER BY path"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        async with self.ledger.read() as tx:
            found = await tx.fetch(sql, *args)
        return [_org(r) for r in found]

    async def update_org_profile(self, org: Org, profile: dict[str, str], audit: Audit) -> Org:
        async with self.ledger.write() as tx:
            await tx.execute(
                "UPDATE orgs SET profile = ? WHERE id = ?",
                json.dumps(profile, ensure_ascii=False),
                org.id,
            )
            await self.append_audit(tx, audit)
        return Org(org.id, org.brand_id, org.kind, org.name, org.parent_id, org.path, profile)

    # -- users -------------------------------------------------------------------------
    async def add_user(
        self,
        *,
        email: str | None,
        phone: str | None,
        display_name: str,
        role: Role,
        org_id: int | None,
        status: UserStatus,
        password_hash: str | None,
        audit: Audit,
    ) -> User:
        """``Conflict`` if the e-mail or phone is taken."""
        async with self.ledger.write() as tx:
            user_id = await self.insert_user(
                tx, NewUser(email, phone, display_name, role, org_id, status, password_hash), audit
            )
        return await self.get_user(user_id)

    @classmethod
    async def insert_user(cls, tx: Tx, user: NewUser, audit: Audit) -> int:
        """Insert a user and its audit row (target ``user:<id>``) inside the caller's
        transaction, for a change that must commit together with the new user (a
        linked sign-in identity); returns the id. ``Conflict`` if a contact is taken."""
        row = await tx.fetchrow(
            "INSERT INTO users (email, phone, display_name, role, org_id, status,"
            " password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            user.email,
            user.phone,
            user.display_name,
            str(user.role),
            user.org_id,
            str(user.status),
            user.password_hash,
            now(),
        )
        assert row is not None
        user_id = int(row["id"])
        await cls.append_audit(tx, replace(audit, target=f"user:{user_id}"))
        return user_id

    async def get_user(self, user_id: int) -> User:
        async with self.ledger.read() as tx:
            row = await tx.fetchrow(f"SELECT {_USER_COLS} FROM users WHERE id = ?", user_id)
        if row is None:
            raise UserNotFound(f"no user {user_id}")
        return _user(row)

    async def find_user(self, contact: str) -> tuple[User, str | None] | None:
        """The user whose e-mail or phone is ``contact`` (normalised), with its password
        hash, or None."""
        column = "email" if "@" in contact else "phone"
        async with self.ledger.read() as tx:
            row = await tx.fetchrow(
                f"SELECT {_USER_COLS}, password_hash FROM users WHERE {column} = ?", contact
            )
        return None if row is None else (_user(row), row["password_hash"])

    async def list_users(
        self, org_ids: Sequence[int] | None, limit: int = 1000, after_id: int | None = None
    ) -> list[User]:
        """Users of the given orgs (None: every user), by id, ``limit`` after ``after_id``."""
        after = 0 if after_id is None else after_id
        async with self.ledger.read() as tx:
            if org_ids is None:
                found = await tx.fetch(
                    f"SELECT {_USER_COLS} FROM users WHERE id > ? ORDER BY id LIMIT ?",
                    after,
                    limit,
                )
            elif not org_ids:
                found = []
            else:
                marks = ", ".join("?" * len(org_ids))
                found = await tx.fetch(
                    f"SELECT {_USER_COLS} FROM users WHERE org_id IN ({marks}) AND id > ?"
                    " ORDER BY id LIMIT ?",
                    *org_ids,
                    after,
                    limit,
                )
        return [_user(r) for r in found]

    async def search_users(
        self,
        root: Org | None,
        query: UserQuery,
        *,
        after_id: int | None = None,
        limit: int | None = 1000,
    ) -> list[User]:
        """Users of ``root``'s subtree (None: every user, with or without an
        organisation) that match ``query``, by id, ``limit`` (None: all) after
        ``after_id``.

        The subtree is a range of ``orgs.path`` (indexed), not a list of ids, so a
        brand with thousands of dealers is one bounded query. ``query.text`` matches
        a substring of the display name, e-mail or phone, ignoring ASCII case; ``%``
        and ``_`` in it are literal."""
        clauses = ["u.id > ?"]
        args: list[object] = [0 if after_id is None else after_id]
        join = ""
        if root is not None:
            join = " JOIN orgs o ON o.id = u.org_id"
            low, high = subtree_bounds(root.path)
            clauses.append("o.path >= ? AND o.path < ?")
            args += [low, high]
        if query.role is not None:
            clauses.append("u.role = ?")
            args.append(str(query.role))
        if query.status is not None:
            clauses.append("u.status = ?")
            args.append(str(query.status))
        if query.text:
            pattern = "%" + _like_escape(query.text.strip().lower()) + "%"
            clauses.append(
                "(LOWER(u.display_name) LIKE ? ESCAPE '\\' OR LOWER(u.email) LIKE ? ESCAPE '\\'"
                " OR u.phone LIKE ? ESCAPE '\\')"
            )
            args += [pattern, pattern, pattern]
        where = " AND ".join(clauses)
        sql = f"SELECT {_USER_COLS_U} FROM users u{join} WHERE {where} ORDER BY u.id"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        async with self.ledger.read() as tx:
            found = await tx.fetch(sql, *args)
        return [_user(r) for r in found]

    async def update_user(self, user_id: int, audit: Audit, **columns: Any) -> User:
        """Set columns of a user (status, role, org_id, password_hash, display_name,
        profile, avatar) and append ``audit`` in one transaction."""
        allowed = {"status", "role", "org_id", "password_hash", "display_name", "profile"}
        allowed |= {"avatar", "email", "phone"}
        if not columns or set(columns) - allowed:
            raise ValueError(f"bad user columns {sorted(columns)}")
        sets = ", ".join(f"{c} = ?" for c in columns)
        # enums are str subclasses, which both drivers store as text; profile is JSON
        values = [json.dumps(v, ensure_ascii=False) if c == "profile" else v
                  for c, v in columns.items()]  # fmt: skip
        async with self.ledger.write() as tx:
            await tx.execute(f"UPDATE users SET {sets} WHERE id = ?", *values, user_id)
            await self.append_audit(tx, audit)
        return await self.get_user(user_id)

    async def avatar(self, user_id: int) -> bytes | None:
        async with self.ledger.read() as tx:
            row = await tx.fetchrow("SELECT avatar FROM users WHERE id = ?", user_id)
        return None if row is None or row["avatar"] is None else bytes(row["avatar"])

    # -- API tokens --------------------------------------------------------------------
    async def add_token(
        self,
        user_id: int,
        name: str,
        secret_hash: bytes,
        scopes: Sequence[str],
        kind: TokenKind,
        expires_at: dt.datetime | None,
        audit: Audit | None,
    ) -> int:
        async with self.ledger.write() as tx:
            row = await tx.fetchrow(
                "INSERT INTO api_tokens (user_id, name, secret_hash, scopes, kind, created_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                user_id,
                name,
                secret_hash,
                json.dumps(list(scopes)),
                str(kind),
                now(),
                expires_at,
            )
            await self.append_audit(tx, audit)
        assert row is not None
        return int(row["id"])

    async def token_with_hash(self, token_id: int) -> tuple[ApiToken, bytes] | None:
        async with self.ledger.read() as tx:
            row = await tx.fetchrow("SELECT * FROM api_tokens WHERE id = ?", token_id)
        return None if row is None else (_token(row), bytes(row["secret_hash"]))

    async def list_tokens(
        self, user_id: int, after_id: int | None = None, limit: int = 1000
    ) -> list[ApiToken]:
        """The user's API tokens (not sessions), by id, ``limit`` after ``after_id``."""
        async with self.ledger.read() as tx:
            found = await tx.fetch(
                "SELECT * FROM api_tokens WHERE user_id = ? AND kind = 'api' AND id > ?"
                " ORDER BY id LIMIT ?",
                user_id,
                0 if after_id is None else after_id,
                limit,
            )
        return [_token(r) for r in found]

    async def list_sessions(self, user_id: int, at: dt.datetime) -> list[ApiToken]:
        """The user's live sign-in sessions (not revoked, not expired), newest first."""
        async with self.ledger.read() as tx:
            found = await tx.fetch(
                "SELECT * FROM api_tokens WHERE user_id = ? AND kind = 'session'"
                " AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"
                " ORDER BY id DESC LIMIT 200",
                user_id,
                at,
            )
        return [_token(r) for r in found]

    async def revoke_sessions(self, user_id: int, audit: Audit) -> int:
        """Revoke every live session of the user (API tokens stay); how many ended."""
        async with self.ledger.write() as tx:
            rows = await tx.fetch(
                "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND kind = 'session'"
                " AND revoked_at IS NULL RETURNING id",
                now(),
                user_id,
            )
            await self.append_audit(tx, audit)
        return len(rows)

    async def revoke_token(self, token_id: int, audit: Audit) -> None:
        async with self.ledger.write() as tx:
            await tx.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                now(),
                token_id,
            )
            await self.append_audit(tx, audit)

    # -- one-time codes ----------------------------------------------------------------
    async def add_otp(
        self, destination: str, purpose: str, code_hash: bytes, ttl: dt.timedelta
    ) -> None:
        at = now()
        async with self.ledger.write() as tx:
            await tx.execute(
                "INSERT INTO otp_codes (destination, purpose, code_hash, created_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?)",
                destination,
                purpose,
                code_hash,
                at,
                at + ttl,
            )

    async def otps_since(self, destination: str, since: dt.datetime) -> list[dt.datetime]:
        async with self.ledger.read() as tx:
            found = await tx.fetch(
                "SELECT created_at FROM otp_codes WHERE destination = ? AND created_at > ?"
                " ORDER BY id",
                destination,
                since,
            )
        return [ts(r["created_at"]) for r in found]

    async def use_otp(
        self, destination: str, purpose: str, matches: Any, max_attempts: int
    ) -> bool:
        """Consume the newest live code of (destination, purpose) if ``matches(hash)``;
        otherwise count a failed attempt on it. One transaction, so two concurrent
        confirmations cannot both use one code."""
        at = now()
        async with self.ledger.write() as tx:
            row = await tx.fetchrow(
                "SELECT id, code_hash, attempts FROM otp_codes WHERE destination = ?"
                " AND purpose = ? AND used_at IS NULL AND expires_at > ?"
                " ORDER BY id DESC LIMIT 1",
                destination,
                purpose,
                at,
            )
            if row is None or int(row["attempts"]) >= max_attempts:
                return False
            if matches(bytes(row["code_hash"])):
                await tx.execute("UPDATE otp_codes SET used_at = ? WHERE id = ?", at, row["id"])
                return True
            await tx.execute("UPDATE otp_codes SET attempts = attempts + 1 WHERE id = ?", row["id"])
            return False

    # -- login attempts ----------------------------------------------------------------
    async def add_attempt(self, attempt: LoginAttempt, audit: Audit | None) -> None:
        async with self.ledger.write() as tx:
            await tx.execute(
                "INSERT INTO login_attempts (at, user_id, identifier, client, device, region,"
                " method, success, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                attempt.at,
                attempt.user_id,
                attempt.identifier,
                attempt.client,
                attempt.device,
                attempt.region,
                attempt.method,
                attempt.success,
                attempt.reason,
            )
            await self.append_audit(tx, audit)

    async def recent_attempts(self, user_id: int, since: dt.datetime) -> list[LoginAttempt]:
        """The user's attempts after ``since``, newest first."""
        async with self.ledger.read() as tx:
            found = await tx.fetch(
                "SELECT * FROM login_attempts WHERE user_id = ? AND at > ? ORDER BY id DESC",
                user_id,
                since,
            )
        return [_attempt(r) for r in found]

    async def attempts_of_user(self, user_id: int, limit: int) -> list[LoginAttempt]:
        """The user's ``limit`` newest sign-in attempts (successes and failures),
        newest first."""
        async with self.ledger.read() as tx:
            found = await tx.fetch(
                "SELECT * FROM login_attempts WHERE user_id = ? ORDER BY id DESC LIMIT ?",
                user_id,
                limit,
            )
        return [_attempt(r) for r in found]

    async def client_failures(self, client: str, since: dt.datetime) -> int:
        async with self.ledger.read() as tx:
            row = await tx.fetchrow(
                "SELECT COUNT(*) AS n FROM login_attempts WHERE client = ? AND at > ?"
                " AND NOT success",
                client,
                since,
            )
        return 0 if row is None else int(row["n"])

    async def has_logged_in(self, user_id: int) -> bool:
        async with self.ledger.read() as tx:
            row = await tx.fetchrow(
                "SELECT 1 AS x FROM login_attempts WHERE user_id = ? AND success LIMIT 1",
                user_id,
            )
        return row is not None

    async def seen_before(self, user_id: int, device: str, region: str) -> tuple[bool, bool]:
        """Whether the user ever logged in successfully from ``device`` / ``region``."""
        async with self.ledger.read() as tx:
            dev = await tx.fetchrow(
                "SELECT 1 AS x FROM login_attempts WHERE user_id = ? AND success AND device = ?"
                " LIMIT 1",
                user_id,
                device,
            )
            reg = await tx.fetchrow(
                "SELECT 1 AS x FROM login_attempts WHERE user_id = ? AND success AND region = ?"
                " LIMIT 1",
                user_id,
                region,
            )
        return dev is not None, reg is not None

    # -- audit log ---------------------------------------------------------------------
    async def list_audit(
        self,
        brand_id: int | None,
        query: AuditQuery,
        *,
        limit: int = 1000,
        after_id: int | None = None,
        newest_first: bool = False,
    ) -> list[AuditEntry]:
        """Entries matching ``query``, oldest first (or newest first), ``limit`` past
        ``after_id``; ``brand_id=None`` means every brand (platform view)."""
        clauses: list[str] = ["1 = 1"]
        args: list[object] = []
        if after_id is not None:
            clauses.append("id < ?" if newest_first else "id > ?")
            args.append(after_id)
        for column, value in (
            ("brand_id", brand_id),
            ("actor_id", query.actor_id),
            ("target", query.target),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        action, since, until = query.action, query.since, query.until
        if action is not None and action.endswith("."):
            # LIKE, not a range: PostgreSQL's default collation ignores punctuation
            clauses.append("action LIKE ? ESCAPE '\\'")
            args.append(_like_escape(action) + "%")
        elif action is not None:
            clauses.append("action = ?")
            args.append(action)
        if since is not None:
            clauses.append("at >= ?")
            args.append(since)
        if until is not None:
            clauses.append("at < ?")
            args.append(until)
        order = "DESC" if newest_first else ""
        async with self.ledger.read() as tx:
            found = await tx.fetch(
                f"SELECT * FROM audit_log WHERE {' AND '.join(clauses)} ORDER BY id {order}"
                " LIMIT ?",
                *args,
                limit,
            )
        return [
            AuditEntry(
                int(r["id"]),
                ts(r["at"]),
                r["actor_id"],
                r["brand_id"],
                r["action"],
                r["target"],
                r["client"],
                json.loads(r["details"]),
            )
            for r in found
        ]


def _like_escape(text: str) -> str:
    """``text`` with the LIKE wildcards (and the escape character) made literal."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _attempt(row: Row) -> LoginAttempt:
    return LoginAttempt(
        ts(row["at"]),
        row["user_id"],
        row["identifier"],
        row["client"],
        row["device"],
        row["region"],
        row["method"],
        bool(row["success"]),
        row["reason"],
    )
