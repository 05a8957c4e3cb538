"""The people who log in to ``lutetia serve``: username, display name, role, sites, argon2 hash.

Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106 "second recommended
option" parameters); the hash alone is stored.  Creating a user, changing a password or
(de)activating one is an audit-trail entry (never with the hash in it).

Roles are those of the trial (issue 14); sites are the ``site`` codes of patients, ``*``
meaning every site (monitors, statisticians, administrators across the trial).

References
----------
1. Biryukov A, Dinu D, Khovratovich D, Josefsson S. RFC 9106: Argon2 memory-hard function
   for password hashing and proof-of-work applications. 2021. https://doi.org/10.17487/RFC9106
2. NIST SP 800-63B, 5.1.1.2 Memorized secret verifiers (minimum 8 characters).
   https://pages.nist.gov/800-63-3/sp800-63b.html
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from lutetia.errors import ConflictError, NotFoundError, RecordError
from lutetia.store import chain
from lutetia.store.database import write
from lutetia.store.schema import users

ROLES: tuple[str, ...] = ("physician", "physicist", "coordinator", "data_manager", "statistician", "monitor",
                          "admin")
ALL_SITES = "*"
#: Minimum password length: project default (NIST SP 800-63B asks for at least 8, reference 2).
MIN_PASSWORD_LENGTH = 10
_USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: str
    sites: tuple[str, ...]
    active: bool
    demo: bool

    def sees_site(self, site: str | None) -> bool:
        """Whether the user may see a patient of ``site`` (a patient without a site: all-site users only)."""
        return ALL_SITES in self.sites or (site is not None and site in self.sites)


@lru_cache(maxsize=1)
def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    return str(_hasher().hash(password))


def check_password(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def _validate(username: str, display_name: str, role: str, sites: Sequence[str], password: str) -> None:
    if not username or len(username) > 64 or not set(username) <= _USERNAME_CHARS:
        raise RecordError(f"users: username {username!r}; accepted: 1-64 characters of a-z, 0-9, '.', '_', '-'",
                          field="username", value=username)
    if not display_name.strip() or len(display_name) > 200:
        raise RecordError(f"users {username}: display name {display_name!r}; accepted: 1-200 characters",
                          field="display_name", value=display_name)
    if role not in ROLES:
        raise RecordError(f"users {username}: role {role!r}; accepted: {', '.join(ROLES)}", field="role", value=role)
    if not sites or any(not s.strip() or len(s) > 64 for s in sites):
        raise RecordError(f"users {username}: sites {list(sites)!r}; accepted: one or more site codes, or '*' "
                          "for every site", field="sites", value=list(sites))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise RecordError(f"users {username}: the password has {len(password)} characters; accepted: at least "
                          f"{MIN_PASSWORD_LENGTH}", field="password", value="(hidden)")


def _audit(conn: sa.Connection, actor: str, action: str, username: str, new: dict[str, Any], reason: str | None,
           source: str | None = None) -> None:
    chain.append(conn, "audit_log", {
        "user_name": actor, "action": action, "kind": "users", "patient_id": None,
        "natural_key": json.dumps([username]), "old_values": None,
        "new_values": json.dumps(new, sort_keys=True), "reason": reason, "source": source, "row_count": 1})


def add_user(engine: sa.Engine, *, username: str, display_name: str, role: str, sites: Sequence[str],
             password: str, actor: str, demo: bool = False, source: str | None = None) -> User:
    """Create a user (audited by ``actor``, with ``source``); an existing username is a :class:`ConflictError`."""
    if not actor.strip():
        raise RecordError("users: every write names who acts; accepted: a non-empty acting user")
    sites = [s.strip() for s in sites]
    _validate(username, display_name, role, sites, password)
    values = {"username": username, "display_name": display_name, "role": role, "sites": json.dumps(sites),
              "password_hash": hash_password(password), "active": True, "demo": demo}

    def work(conn: sa.Connection) -> int:
        if conn.execute(sa.select(users.c.id).where(users.c.username == username)).first() is not None:
            raise ConflictError(f"users: {username!r} exists already; accepted: a new username")
        new_id = conn.execute(users.insert().returning(users.c.id), values).scalar_one()
        _audit(conn, actor, "insert", username, {"username": username, "display_name": display_name, "role": role,
                                                 "sites": sites, "demo": demo}, None, source)
        return int(new_id)

    return User(write(engine, work), username, display_name, role, tuple(sites), True, demo)


def set_password(engine: sa.Engine, username: str, password: str, *, actor: str, reason: str) -> None:
    """Replace a user's password hash (audited, without the hash)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise RecordError(f"users {username}: the password has {len(password)} characters; accepted: at least "
                          f"{MIN_PASSWORD_LENGTH}", field="password", value="(hidden)")

    def work(conn: sa.Connection) -> None:
        done = conn.execute(users.update().where(users.c.username == username)
                            .values(password_hash=hash_password(password)))
        if done.rowcount != 1:
            raise NotFoundError(f"users: no user {username!r}")
        _audit(conn, actor, "update", username, {"password": "changed"}, reason)

    write(engine, work)


def _user(row: sa.RowMapping) -> User:
    return User(row["id"], row["username"], row["display_name"], row["role"], tuple(json.loads(row["sites"])),
                bool(row["active"]), bool(row["demo"]))


def get_user(engine: sa.Engine, username: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.username == username)).mappings().first()
    return _user(row) if row is not None else None


def authenticate(engine: sa.Engine, username: str, password: str) -> User | None:
    """The active user whose password this is, else None (unknown users cost a hash too)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.username == username)).mappings().first()
    if row is None:
        check_password(_dummy_hash(), password)  # same work whether or not the user exists
        return None
    if not check_password(row["password_hash"], password) or not row["active"]:
        return None
    return _user(row)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("lutetia-no-such-user")


def list_users(engine: sa.Engine) -> list[User]:
    with engine.connect() as conn:
        return [_user(r) for r in conn.execute(sa.select(users).order_by(users.c.username)).mappings()]
