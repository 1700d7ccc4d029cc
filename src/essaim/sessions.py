"""Signing in from a browser: passwords, sessions and the count of failed attempts.

Programs write with a bearer token (``essaim.users``); people sign in with their name and a
password (or by pasting their token once) and get a session. Both live in the user store's
file, ``<data_dir>/users.sqlite``, in tables that go with their user (removing a user removes
its password and sessions). Nothing here knows HTTP: ``essaim.web.signin`` puts the session
id in a cookie and checks the CSRF token.

- A **password** (``essaim user passwd``) has at least ``MIN_PASSWORD_LENGTH`` characters
  (``MAX_PASSWORD_LENGTH`` at most) and is kept as an scrypt hash with its own random salt,
  the parameters of the tokens. Setting one ends the user's sessions.
- A **session** id is ``secrets.token_urlsafe(32)``, given to the browser once; the file keeps
  its SHA-256 (a 256-bit random value needs no slow hash), the user's role, graph scope and
  token id at sign-in, a CSRF token and an expiry. A session ends when it expires, on sign-out,
  and as soon as its user is removed, changes role or scope, or gets a new token or password.
- A ``LoginThrottle`` counts failed sign-ins per key (a user name, a client address) and
  locks a key out for a while after a few failures in a row.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from essaim.users import Role, User, UserError, UserStore, scrypt_hash

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
DEFAULT_LIFETIME_S = 12 * 3600.0

_SALT_BYTES = 16
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")
#: Hashed when the name is unknown or has no password, so that the answer takes as long.
_DUMMY_SALT = b"essaim-no-such-user"


@dataclass(frozen=True)
class Session:
    """A signed-in browser: who, the CSRF token its forms carry, and when it ends (Unix time)."""

    user: User
    csrf: str
    expires: float

    def csrf_matches(self, token: str | None) -> bool:
        """Whether ``token`` is this session's CSRF token (compared in constant time)."""
        if not token:
            return False
        return hmac.compare_digest(token.encode("utf-8"), self.csrf.encode("ascii"))


def _password_bytes(password: str) -> str:
    # NFKC: the same password typed on two keyboards (composed or decomposed accents) matches.
    return unicodedata.normalize("NFKC", password)


def check_password_rules(password: str) -> None:
    """Raise ``UserError`` for a password too short or too long."""
    length = len(_password_bytes(password))
    if length < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password has {length} characters: use at least {MIN_PASSWORD_LENGTH}")
    if length > MAX_PASSWORD_LENGTH:
        raise UserError(f"the password is longer than {MAX_PASSWORD_LENGTH} characters")


def _session_hash(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode("ascii")).digest()


class Sessions:
    """The passwords and sessions of one user store."""

    def __init__(
        self,
        users: UserStore,
        *,
        lifetime_s: float = DEFAULT_LIFETIME_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.users = users
        self.lifetime_s = lifetime_s
        self.clock = clock

    # -- passwords -----------------------------------------------------------------------------

    def set_password(self, name: str, password: str) -> None:
        """Give a user a (new) password; the user's sessions end."""
        check_password_rules(password)
        salt = secrets.token_bytes(_SALT_BYTES)
        digest = scrypt_hash(_password_bytes(password), salt)
        changed = datetime.now(UTC).replace(microsecond=0).isoformat()
        with self.users.transaction() as db:
            row = db.execute("SELECT name FROM users WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise UserError(f"there is no user named {name!r}")
            db.execute(
                "INSERT INTO passwords (name, salt, hash, changed) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET salt = excluded.salt, hash = excluded.hash, "
                "changed = excluded.changed",
                (row[0], salt, digest, changed),
            )
            db.execute("DELETE FROM sessions WHERE name = ?", (row[0],))

    def with_password(self) -> set[str]:
        """The names of the users who have a password."""
        if not self.users.path.exists():
            return set()
        with self.users.connection() as db:
            return {row[0] for row in db.execute("SELECT name FROM passwords")}

    def check_password(self, name: str, password: str) -> User | None:
        """The user whose name and password these are; None otherwise, whatever was wrong (and
        after as much work, so that the time taken does not tell an unknown name)."""
        if not name or len(name) > 64 or len(password) > MAX_PASSWORD_LENGTH:
            return None
        row = None
        if self.users.path.exists():
            with self.users.connection() as db:
                row = db.execute(
                    "SELECT u.name, u.role, u.iri, u.graphs, u.created, p.salt, p.hash "
                    "FROM users u JOIN passwords p ON p.name = u.name WHERE u.name = ?",
                    (name,),
                ).fetchone()
        digest = scrypt_hash(_password_bytes(password), row[5] if row else _DUMMY_SALT)
        if row is None or not hmac.compare_digest(digest, row[6]):
            return None
        return _user(row[:5])

    # -- sessions ------------------------------------------------------------------------------

    def open(self, user: User, token_id: str | None = None) -> tuple[str, Session]:
        """Start a session for ``user``; return its id (for the cookie, never stored) and it.
        ``token_id``: the public id of the token the person signed in with, which must still be
        the user's (``UserStore.authenticate`` may remember a token rotated a moment ago)."""
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = self.clock()
        expires = now + self.lifetime_s
        with self.users.transaction() as db:
            row = db.execute(
                "SELECT name, role, iri, graphs, created, token_id FROM users WHERE name = ?",
                (user.name,),
            ).fetchone()
            if row is None or row[2] != user.iri:
                raise UserError(f"there is no user named {user.name!r}")
            if token_id is not None and not hmac.compare_digest(token_id, row[5]):
                raise UserError(f"the token of {user.name} was replaced")
            db.execute("DELETE FROM sessions WHERE expires <= ?", (now,))
            db.execute(
                "INSERT INTO sessions (id_hash, name, iri, role, graphs, token_id, csrf, created, "
                "expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (_session_hash(session_id), row[0], row[2], row[1], row[3], row[5], csrf, now,
                 expires),
            )  # fmt: skip
        return session_id, Session(_user(row[:5]), csrf, expires)

    def find(self, session_id: str) -> Session | None:
        """The live session of that id; None for an unknown, ended, expired or garbled one, or
        one whose user was removed or changed since (such a session is deleted)."""
        if _SESSION_ID.fullmatch(session_id) is None or not self.users.path.exists():
            return None
        key = _session_hash(session_id)
        with self.users.connection() as db:
            row = db.execute(
                "SELECT s.iri, s.role, s.graphs, s.token_id, s.csrf, s.expires, "
                "u.name, u.role, u.iri, u.graphs, u.created, u.token_id "
                "FROM sessions s LEFT JOIN users u ON u.name = s.name WHERE s.id_hash = ?",
                (key,),
            ).fetchone()
            if row is None:
                return None
            stale = (
                row[5] <= self.clock()
                or row[6] is None
                or (row[0], row[1], row[2], row[3]) != (row[8], row[7], row[9], row[11])
            )
            if stale:
                db.execute("DELETE FROM sessions WHERE id_hash = ?", (key,))
                return None
        return Session(_user(row[6:11]), row[4], row[5])

    def close(self, session_id: str) -> None:
        """End a session (sign-out); an unknown id is no error."""
        if _SESSION_ID.fullmatch(session_id) is None or not self.users.path.exists():
            return
        with self.users.connection() as db:
            db.execute("DELETE FROM sessions WHERE id_hash = ?", (_session_hash(session_id),))

    def close_all(self, name: str) -> int:
        """End every session of a user; return how many there were."""
        if not self.users.path.exists():
            return 0
        with self.users.connection() as db:
            return db.execute("DELETE FROM sessions WHERE name = ?", (name,)).rowcount


def _user(row: tuple[str, str, str, str | None, str]) -> User:
    name, role, iri, graphs, created = row
    return User(
        name=name, role=Role(role), iri=iri, graphs=graphs, created=datetime.fromisoformat(created)
    )


@dataclass
class _Failures:
    count: int
    last: float
    locked_until: float


class LoginThrottle:
    """Failed sign-ins per key. After ``allowed`` failures in a row a key is locked for
    ``lockout_s`` seconds, twice as long after each further failure (``max_lockout_s`` at
    most); a success clears the key, and failures older than ``window_s`` are forgotten once
    the key is not locked. At most ``max_keys`` keys are kept (unlocked ones go first)."""

    def __init__(
        self,
        allowed: int = 5,
        *,
        lockout_s: float = 60.0,
        max_lockout_s: float = 900.0,
        window_s: float = 900.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.allowed, self.lockout_s, self.max_lockout_s = allowed, lockout_s, max_lockout_s
        self.window_s, self.max_keys, self.clock = window_s, max_keys, clock
        self._keys: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        with self._lock:
            entry = self._keys.get(key)
            return 0.0 if entry is None else max(0.0, entry.locked_until - self.clock())

    def failed(self, key: str) -> None:
        now = self.clock()
        with self._lock:
            entry = self._keys.get(key)
            if entry is None or (entry.locked_until <= now and now - entry.last > self.window_s):
                if len(self._keys) >= self.max_keys:
                    self._prune(now)
                entry = self._keys[key] = _Failures(0, now, 0.0)
            entry.count += 1
            entry.last = now
            if entry.count >= self.allowed:
                doubling = min(entry.count - self.allowed, 20)
                entry.locked_until = now + min(self.max_lockout_s, self.lockout_s * 2**doubling)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._keys.pop(key, None)

    def _prune(self, now: float) -> None:
        self._keys = {k: v for k, v in self._keys.items() if v.locked_until > now}
        if len(self._keys) >= self.max_keys:
            self._keys.clear()
