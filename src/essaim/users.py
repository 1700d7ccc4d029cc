"""User accounts and bearer tokens for writing to the endpoint.

Reading is open; every write needs a bearer token. The accounts live in a private SQLite file,
``<data_dir>/users.sqlite`` (mode 0600), never in an RDF graph: the RDF side knows a user only
by a random, pseudonymous IRI (``https://w3id.org/essaim/user/<32 hex digits>``, not derived
from the name) under which each write is recorded in the metadata graph.

Roles:

- ``annotator``: no write access to graphs (annotations get their own rules).
- ``editor``: writes graphs; may be limited to the graphs whose IRI starts with a prefix
  (``graphs``), so that a territory writes its own graphs only. The check is a plain string
  prefix: end the prefix with ``/`` or ``#`` unless ``…/sarthe`` should also admit
  ``…/sarthe-bis``.
- ``admin``: writes everything.

SPARQL Update may touch any graph, and the server cannot tell cheaply which ones an update
touches; so ``User.may_update()`` is true for an admin and for an editor *without* a prefix
only. An editor limited to a prefix writes through the Graph Store Protocol, graph by graph
(``User.may_write_graph``).

A token reads ``essaim_<public id>_<secret>``: the public id (12 letters and digits) finds the
row, the secret (``secrets.token_urlsafe(32)``) is checked against its scrypt hash (random
16-byte salt, n=2**14, r=8, p=1) with a constant-time comparison. The token is shown once, at
creation or rotation, and cannot be recovered from the file.

scrypt costs tens of milliseconds by design, so ``UserStore.authenticate`` remembers successful
verifications for a short while (``cache_lifetime``, 60 s by default), keyed by the token's
SHA-256. ``add``, ``remove`` and ``rotate`` clear that memory in the same process at once; a
change made by another process (``essaim user remove`` while the server runs) takes effect
within ``cache_lifetime`` seconds.

The same file holds the passwords people sign in with from a browser and their sessions
(``essaim.sessions``), in tables that go with their user.

Each call opens its own SQLite connection, so one ``UserStore`` may be shared between threads.
The file is created on the first write, never by reading.
"""

from __future__ import annotations

import builtins
import enum
import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import string
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

#: Pseudonymous user IRIs: this base and 32 random hex digits.
USER_IRI_BASE = "https://w3id.org/essaim/user/"
TOKEN_PREFIX = "essaim_"  # noqa: S105 (a fixed marker, not a secret)
FILE_NAME = "users.sqlite"
SCHEMA_VERSION = 2

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P, _SCRYPT_DKLEN = 2**14, 8, 1, 32
_SALT_BYTES = 16
_ID_LENGTH = 12
_ID_ALPHABET = string.ascii_letters + string.digits
_TOKEN = re.compile(r"essaim_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})")
_NAME = re.compile(r"[\w.@-]{1,64}")
_IRI_FORBIDDEN = re.compile(r"[\x00-\x20<>\"{}|\\^`\x7f]")
_MAX_PREFIX_LENGTH = 2048
_CACHE_SIZE = 256

#: The statements that bring the file from version ``i`` to ``i + 1``. Version 2 adds the
#: passwords and browser sessions of ``essaim.sessions``; both go with their user.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE IF NOT EXISTS users (
            name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
            role TEXT NOT NULL CHECK (role IN ('annotator', 'editor', 'admin')),
            graphs TEXT,
            iri TEXT NOT NULL UNIQUE,
            created TEXT NOT NULL,
            token_id TEXT NOT NULL UNIQUE,
            salt BLOB NOT NULL,
            hash BLOB NOT NULL
        )""",
    ),
    (
        """CREATE TABLE IF NOT EXISTS passwords (
            name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE
                REFERENCES users (name) ON DELETE CASCADE ON UPDATE CASCADE,
            salt BLOB NOT NULL,
            hash BLOB NOT NULL,
            changed TEXT NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS sessions (
            id_hash BLOB NOT NULL PRIMARY KEY,
            name TEXT NOT NULL COLLATE NOCASE
                REFERENCES users (name) ON DELETE CASCADE ON UPDATE CASCADE,
            iri TEXT NOT NULL,
            role TEXT NOT NULL,
            graphs TEXT,
            token_id TEXT NOT NULL,
            csrf TEXT NOT NULL,
            created REAL NOT NULL,
            expires REAL NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS sessions_by_name ON sessions (name)",
    ),
)


class Role(enum.StrEnum):
    ANNOTATOR = "annotator"
    EDITOR = "editor"
    ADMIN = "admin"


class UserError(Exception):
    """A user cannot be added, found or changed; the message says why, in one sentence."""


@dataclass(frozen=True)
class User:
    """An account as the server sees it: no token, no hash."""

    name: str
    role: Role
    iri: str
    graphs: str | None
    created: datetime

    def may_write_graph(self, graph: str) -> bool:
        """Whether this user may replace, add to or delete the named graph ``graph``."""
        if self.role not in (Role.EDITOR, Role.ADMIN):
            return False
        return self.graphs is None or graph.startswith(self.graphs)

    def may_update(self) -> bool:
        """Whether this user may run SPARQL Update, which can touch any graph: an admin, or an
        editor not limited to a prefix."""
        if self.role is Role.ADMIN:
            return True
        return self.role is Role.EDITOR and self.graphs is None


def users_path(data_dir: Path) -> Path:
    """Where the user store of a data directory lives."""
    return data_dir / FILE_NAME


class UserStore:
    """The accounts of one data directory, in a SQLite file only its owner can read."""

    def __init__(self, path: Path, *, cache_lifetime: float = 60.0) -> None:
        self.path = path
        self.cache_lifetime = cache_lifetime
        self._cache: dict[bytes, tuple[User, float]] = {}
        self._generation = 0  # bumped by every change, so a verification racing one is not kept
        self._lock = threading.Lock()

    # -- accounts ------------------------------------------------------------------------------

    def add(self, name: str, role: Role, graphs: str | None = None) -> tuple[User, str]:
        """Create a user; return it with its token, which is not stored and cannot be shown
        again."""
        _check_name(name)
        role = _check_role(role)
        if graphs is not None:
            _check_prefix(graphs)
            if role is not Role.EDITOR:
                raise UserError(f"only an editor can be limited to graphs, not an {role}")
        user = User(
            name=name,
            role=role,
            iri=USER_IRI_BASE + secrets.token_hex(16),
            graphs=graphs,
            created=datetime.now(UTC).replace(microsecond=0),
        )
        token_id, secret, salt, digest = _new_credentials()
        with self.transaction() as db:
            if _row(db, name) is not None:
                raise UserError(f"a user named {name} exists already")
            db.execute(
                "INSERT INTO users (name, role, graphs, iri, created, token_id, salt, hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name,
                    user.role.value,
                    graphs,
                    user.iri,
                    user.created.isoformat(),
                    token_id,
                    salt,
                    digest,
                ),
            )
        self._forget()
        return user, _token(token_id, secret)

    def remove(self, name: str) -> None:
        """Delete a user; its token stops working, its password and sessions go with it."""
        with self.transaction() as db:
            if db.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount == 0:
                raise UserError(f"there is no user named {name!r}")
        self._forget()

    def rotate(self, name: str) -> str:
        """Give a user a new token and return it; the old one stops working."""
        token_id, secret, salt, digest = _new_credentials()
        with self.transaction() as db:
            changed = db.execute(
                "UPDATE users SET token_id = ?, salt = ?, hash = ? WHERE name = ?",
                (token_id, salt, digest, name),
            ).rowcount
            if changed == 0:
                raise UserError(f"there is no user named {name!r}")
        self._forget()
        return _token(token_id, secret)

    def list(self) -> builtins.list[User]:
        """Every user, by name."""
        if not self.path.exists():
            return []
        with self.connection() as db:
            rows = db.execute(
                "SELECT name, role, iri, graphs, created FROM users ORDER BY name"
            ).fetchall()
        return [_user(row) for row in rows]

    def get(self, name: str) -> User | None:
        """The user of that name (compared without regard to ASCII case), or None."""
        if not self.path.exists():
            return None
        with self.connection() as db:
            row = _row(db, name)
        return None if row is None else _user(row)

    # -- tokens --------------------------------------------------------------------------------

    def authenticate(self, token: str) -> User | None:
        """The user a bearer token belongs to; None for any token that is unknown, revoked,
        rotated or not a token at all. Bad input never raises."""
        match = _TOKEN.fullmatch(token) if len(token) < 100 else None
        if match is None:
            return None
        key = hashlib.sha256(token.encode("ascii")).digest()
        now = time.monotonic()
        with self._lock:
            generation = self._generation
            cached = self._cache.get(key)
            if cached is not None:
                if cached[1] > now:
                    return cached[0]
                del self._cache[key]
        if not self.path.exists():
            return None
        token_id, secret = match.groups()
        with self.connection() as db:
            row = db.execute(
                "SELECT name, role, iri, graphs, created, salt, hash FROM users WHERE token_id = ?",
                (token_id,),
            ).fetchone()
        if row is None or not hmac.compare_digest(scrypt_hash(secret, row[5]), row[6]):
            return None
        user = _user(row[:5])
        if self.cache_lifetime > 0:
            self._remember(key, user, now + self.cache_lifetime, generation)
        return user

    def _remember(self, key: bytes, user: User, expires: float, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return
            if len(self._cache) >= _CACHE_SIZE:
                now = time.monotonic()
                self._cache = {k: v for k, v in self._cache.items() if v[1] > now}
                if len(self._cache) >= _CACHE_SIZE:
                    self._cache.clear()
            self._cache[key] = (user, expires)

    def _forget(self) -> None:
        with self._lock:
            self._generation += 1
            self._cache.clear()

    # -- the file ------------------------------------------------------------------------------

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """A connection in autocommit mode to the file, created (mode 0600) if missing, with
        foreign keys enforced (a user's password and sessions go with it)."""
        self._create_file()
        # mode=rw: SQLite itself never creates the file, so it never gets a laxer mode.
        uri = self.path.resolve().as_uri() + "?mode=rw"
        with closing(sqlite3.connect(uri, uri=True, timeout=10, isolation_level=None)) as db:
            db.execute("PRAGMA foreign_keys = ON")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                self._migrate(db, version)
            yield db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``connection()`` inside ``BEGIN IMMEDIATE`` … ``COMMIT`` (rolled back on error)."""
        with self.connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _migrate(self, db: sqlite3.Connection, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise UserError(
                f"the user store {self.path} has schema version {version}, newer than this "
                f"essaim knows ({SCHEMA_VERSION}): upgrade essaim"
            )
        db.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated the file while this one waited for the lock.
            current = db.execute("PRAGMA user_version").fetchone()[0]
            for statements in _MIGRATIONS[current:]:
                for statement in statements:
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _create_file(self) -> None:
        if self.path.exists():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return  # another thread or process created it first
        try:
            os.fchmod(fd, 0o600)  # whatever the umask
        finally:
            os.close(fd)


def _check_name(name: str) -> None:
    if not name:
        raise UserError("a user name cannot be empty")
    if len(name) > 64:
        raise UserError(f"the user name {name[:20]!r}… is longer than 64 characters")
    if _NAME.fullmatch(name) is None:
        bad = next(c for c in name if _NAME.fullmatch(c) is None)
        raise UserError(
            f"the user name {name!r} has the character {bad!r}: use letters, digits and . _ - @"
        )


def _check_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise UserError(f"unknown role {role!r}: use annotator, editor or admin") from None


def _check_prefix(prefix: str) -> None:
    parts = urlsplit(prefix) if len(prefix) <= _MAX_PREFIX_LENGTH else None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.netloc
        or _IRI_FORBIDDEN.search(prefix)
    ):
        raise UserError(f"the graphs prefix {prefix[:80]!r} is not an absolute http(s) IRI")


def _new_credentials() -> tuple[str, str, bytes, bytes]:
    token_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(_SALT_BYTES)
    return token_id, secret, salt, scrypt_hash(secret, salt)


def scrypt_hash(secret: str, salt: bytes) -> bytes:
    """The scrypt hash of a token's secret or a password (UTF-8) with this salt."""
    return hashlib.scrypt(
        secret.encode("utf-8"),
        salt=salt,
        n=_SCRYPT_N,
        r=_SCRYPT_R,
        p=_SCRYPT_P,
        dklen=_SCRYPT_DKLEN,
    )


def _token(token_id: str, secret: str) -> str:
    return f"{TOKEN_PREFIX}{token_id}_{secret}"


def _row(db: sqlite3.Connection, name: str) -> tuple[str, str, str, str | None, str] | None:
    row: tuple[str, str, str, str | None, str] | None = db.execute(
        "SELECT name, role, iri, graphs, created FROM users WHERE name = ?", (name,)
    ).fetchone()
    return row


def _user(row: tuple[str, str, str, str | None, str]) -> User:
    name, role, iri, graphs, created = row
    return User(
        name=name, role=Role(role), iri=iri, graphs=graphs, created=datetime.fromisoformat(created)
    )
