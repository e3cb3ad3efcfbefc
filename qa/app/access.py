"""Who may use the app. Open by default, for local use on one's own machine;
a deployment turns on one of two gates in `.streamlit/secrets.toml`:

    [access]                       # a shared password
    password_scrypt = "scrypt$16384$8$1$<salt>$<key>"   # python -m qa.app.access (asks, prints the line)

    [auth]                         # single sign-on: Streamlit's OIDC login
    redirect_uri = "https://host/oauth2callback"
    cookie_secret = "<random>"
    client_id = "..."
    client_secret = "..."
    server_metadata_url = "https://login.example/.well-known/openid-configuration"
    [access]
    allowed_domains = ["council.gov.uk"]   # optional: whose e-mail may sign in

Only a salted scrypt key of the password is stored (standard library
`hashlib.scrypt`: slow and memory-hard, so a leaked secrets file does not give
the password away by a table lookup); comparisons take constant time. The
settings this replaced (`password` in plain text, `password_sha256`, unsalted)
are refused, never quietly accepted: the gate stays shut and says how to make
the new line. Failed attempts are slowed per client address, across all of its
sessions (`Throttle`). This module decides; app.py draws the forms.
"""
from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import secrets as random_source
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Literal

Mode = Literal["open", "password", "sign-in"]

# scrypt cost: 2**14 blocks of 8 x 128 bytes (16 MB, about 60 ms a try here),
# the cost the scrypt paper (Percival, 2009) gives for interactive logins.
SCRYPT_N, SCRYPT_R, SCRYPT_P, KEY_BYTES, SALT_BYTES = 2**14, 8, 1, 32, 16
OLD_SETTINGS = ("password", "password_sha256")


def access_mode(secrets: Mapping) -> Mode:
    if "auth" in secrets:
        return "sign-in"
    access = secrets.get("access") or {}
    if any(access.get(name) for name in ("password_scrypt", *OLD_SETTINGS)):
        return "password"
    return "open"


def password_setting(password: str) -> str:
    """The `password_scrypt` value for a password, with a fresh random salt."""
    salt = random_source.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(key)])


def setting_problem(secrets: Mapping) -> str | None:
    """Why the password gate cannot check passwords as configured, or None."""
    access = secrets.get("access") or {}
    setting = access.get("password_scrypt")
    if not setting:
        old = next(name for name in OLD_SETTINGS if access.get(name))
        return (f"The app's password is set with `{old}` under [access], which is no longer accepted "
                "(a plain or unsalted secret). Run `python -m qa.app.access`, put the `password_scrypt` line "
                f"it prints in .streamlit/secrets.toml and remove `{old}`.")
    if _parse(str(setting)) is None:
        return ("The app's `password_scrypt` setting is not one `python -m qa.app.access` prints "
                "(scrypt$N$r$p$salt$key); run it again and paste the whole line.")
    return None


def password_matches(given: str, secrets: Mapping) -> bool:
    """Whether `given` is the password; always False while setting_problem() has something to say."""
    access = secrets.get("access") or {}
    parsed = _parse(str(access.get("password_scrypt") or ""))
    if parsed is None:
        return False
    n, r, p, salt, key = parsed
    return hmac.compare_digest(_scrypt(given, salt, n, r, p, len(key)), key)


class Throttle:
    """Slows failed password attempts per client address, whatever session
    they come from: each address's attempts are checked one at a time, and
    after its f-th failure in a row the answer waits min(cap, base * 2**(f-1))
    seconds. A session-local pause (what this replaced) let a guesser open
    sessions in parallel. Remembers at most `max_clients` addresses, the most
    recently seen."""

    def __init__(self, *, base_seconds: float = 1.0, cap_seconds: float = 30.0, max_clients: int = 10_000,
                 sleep: Callable[[float], None] = time.sleep):
        self.base_seconds, self.cap_seconds, self.max_clients = base_seconds, cap_seconds, max_clients
        self._sleep = sleep
        self._failures: OrderedDict[str, int] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def delay(self, client: str) -> float:
        failures = self._failures.get(client, 0)
        return 0.0 if failures == 0 else min(self.cap_seconds, self.base_seconds * 2 ** (failures - 1))

    def check(self, client: str, given: str, secrets: Mapping) -> bool:
        """password_matches; a wrong password is answered after the wait this client's failures have earned."""
        with self._lock_of(client):  # (held while a wrong answer waits: parallel sessions queue behind it)
            ok = password_matches(given, secrets)
            with self._guard:
                self._failures[client] = 0 if ok else self._failures.get(client, 0) + 1
                self._failures.move_to_end(client)
                while len(self._failures) > self.max_clients:
                    forgotten, _ = self._failures.popitem(last=False)
                    self._locks.pop(forgotten, None)
            if not ok:
                self._sleep(self.delay(client))  # the wrong answer itself comes slowly
            return ok

    def _lock_of(self, client: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(client, threading.Lock())


def email_allowed(email: str | None, secrets: Mapping) -> bool:
    """With `allowed_domains` or `allowed_emails` set, only those may use the
    app once signed in; without either, anyone the identity provider accepts."""
    access = secrets.get("access") or {}
    domains = [d.lower().lstrip("@") for d in access.get("allowed_domains", [])]
    emails = [e.lower() for e in access.get("allowed_emails", [])]
    if not domains and not emails:
        return True
    email = (email or "").lower()
    return email in emails or any(email.endswith("@" + d) for d in domains)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int = KEY_BYTES) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length,
                          maxmem=2 * 128 * r * n + 2**20)


def _parse(setting: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = setting.strip().split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return None
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt, key = (base64.b64decode(x, validate=True) for x in parts[4:])
    except ValueError:
        return None
    cost_ok = 2 <= n <= 2**20 and not n & (n - 1) and 1 <= r <= 64 and 1 <= p <= 16
    if not cost_ok or len(salt) < SALT_BYTES or len(key) != KEY_BYTES:
        return None
    return n, r, p, salt, key


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


if __name__ == "__main__":
    # Prints the line to put under [access] in .streamlit/secrets.toml.
    print(f'password_scrypt = "{password_setting(getpass.getpass("Password for the app: "))}"')
