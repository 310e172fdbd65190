"""Enrolled users of a REST service: who they are, what they may do, and the hash of their API token.

Tokens are 256 random bits; only their SHA-256 is stored (a slow hash adds nothing for secrets this long), so a
leaked users.json does not reveal them. The file is rewritten atomically under a lock, and a running service
re-reads it when it changes, so `gridledger rest enroll` and `gridledger rest revoke` work while the service runs.
A revoked token's hash is kept (with the user it belonged to) so the service can tell its holder why it is refused.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SCOPES = ("submit", "evaluate", "ledger", "admin")
DEFAULT_SCOPES = ("submit", "evaluate", "ledger")
USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}\Z")
TOKEN_PREFIX = "glr_"
FORMAT = "gridledger-rest-users/1"


class UserError(ValueError):
    """A user-management request that cannot be done; the message says why."""


class UnknownUser(UserError):
    pass


@dataclass(frozen=True)
class Revoked:
    """A token an org admin revoked: whose it was and when."""

    user: str
    revoked_at: str


def check_user_name(name: str) -> str:
    if not USER_NAME.match(name or ""):
        raise UserError(f"user name {name!r} is not allowed: use 1-64 letters, digits and . _ @ -, starting with a "
                        "letter or digit")
    return name


def check_scopes(scopes: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise UserError(f"unknown scope(s) {', '.join(unknown)}; allowed: {', '.join(SCOPES)}")
    return tuple(s for s in SCOPES if s in scopes)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class User:
    name: str
    msp_id: str
    scopes: tuple[str, ...]
    certificate_pem: str | None  # the signing certificate (custodial or registered by an offline signer)
    custodial: bool  # the service's wallet holds the key
    enrolled_at: str

    def may(self, scope: str) -> bool:
        return scope in self.scopes


class UserStore:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "users.json"
        self._lock_path = state_dir / "users.lock"
        self._stamp: tuple[int, int, int] | None = None
        self._users: dict[str, User] = {}
        self._by_hash: dict[str, str] = {}
        self._revoked: dict[str, Revoked] = {}

    # ---------- reading ----------

    def _read(self) -> tuple[dict[str, dict], dict[str, str], dict[str, dict]]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}, {}, {}
        if data.get("format") != FORMAT:
            raise UserError(f"{self.path} is not a {FORMAT} file")
        return data["users"], data["tokens"], data.get("revoked", {})

    def _refresh(self) -> None:
        try:
            info = self.path.stat()
            stamp = (info.st_mtime_ns, info.st_size, info.st_ino)  # a rewrite is a new file (os.replace)
        except FileNotFoundError:
            stamp = None
        if stamp == self._stamp and stamp is not None:
            return
        users, tokens, revoked = self._read()
        self._users = {name: User(name, u["msp_id"], tuple(u["scopes"]), u.get("certificate"), u["custodial"],
                                  u["enrolled_at"]) for name, u in users.items()}
        self._by_hash = tokens
        self._revoked = {digest: Revoked(r["user"], r["revoked_at"]) for digest, r in revoked.items()}
        self._stamp = stamp

    def authenticate(self, token: str) -> User | None:
        """The user a token belongs to, or None."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        self._refresh()
        name = self._by_hash.get(token_hash(token))
        return self._users.get(name) if name else None

    def revoked(self, token: str) -> Revoked | None:
        """Whether (and whose and when) a token was revoked; None for a live or never-issued token."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        self._refresh()
        return self._revoked.get(token_hash(token))

    def get(self, name: str) -> User | None:
        self._refresh()
        return self._users.get(name)

    def all(self) -> list[User]:
        self._refresh()
        return sorted(self._users.values(), key=lambda u: u.name)

    # ---------- writing ----------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[tuple[dict[str, dict], dict[str, str], dict[str, dict]]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            users, tokens, revoked = self._read()
            yield users, tokens, revoked
            tmp = self.path.with_name(f".users.{secrets.token_hex(4)}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump({"format": FORMAT, "users": users, "tokens": tokens, "revoked": revoked}, handle, indent=1,
                          sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        self._stamp = None

    def add(self, name: str, msp_id: str, scopes: tuple[str, ...], certificate_pem: str | None,
            custodial: bool) -> str:
        """Enrol a new user; return their API token (shown once, never stored)."""
        check_user_name(name)
        token = new_token()
        with self._locked() as (users, tokens, _):
            if name in users:
                raise UserError(f"user {name!r} is already enrolled")
            users[name] = {"msp_id": msp_id, "scopes": list(check_scopes(scopes)), "certificate": certificate_pem,
                           "custodial": custodial,
                           "enrolled_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
            tokens[token_hash(token)] = name
        return token

    def set_certificate(self, name: str, certificate_pem: str, custodial: bool) -> User:
        with self._locked() as (users, _, _):
            if name not in users:
                raise UnknownUser(f"no user {name!r} is enrolled")
            users[name]["certificate"] = certificate_pem
            users[name]["custodial"] = custodial
        user = self.get(name)
        assert user is not None
        return user

    def revoke(self, name: str) -> int:
        """Revoke every token of `name` and remove the user, so an org admin can enrol them again (with a new
        token); return how many tokens were revoked."""
        with self._locked() as (users, tokens, revoked):
            if name not in users:
                raise UnknownUser(f"no user {name!r} is enrolled")
            now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            digests = [digest for digest, owner in tokens.items() if owner == name]
            for digest in digests:
                del tokens[digest]
                revoked[digest] = {"user": name, "revoked_at": now}
            del users[name]
        return len(digests)
