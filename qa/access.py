"""Who may use the app. Open by default, for local use on one's own machine;
a deployment turns on one of two gates in `.streamlit/secrets.toml`:

    [access]                       # a shared password
    password_sha256 = "<hex>"      # python -m qa.access  (asks, prints the hash)

    [auth]                         # single sign-on: Streamlit's OIDC login
    redirect_uri = "https://host/oauth2callback"
    cookie_secret = "<random>"
    client_id = "..."
    client_secret = "..."
    server_metadata_url = "https://login.example/.well-known/openid-configuration"
    [access]
    allowed_domains = ["council.gov.uk"]   # optional: whose e-mail may sign in

Only the hash of the password is stored; comparisons take constant time.
This module decides; app.py draws the forms.
"""
from __future__ import annotations

import getpass
import hashlib
import hmac
from collections.abc import Mapping
from typing import Literal

Mode = Literal["open", "password", "sign-in"]


def access_mode(secrets: Mapping) -> Mode:
    if "auth" in secrets:
        return "sign-in"
    access = secrets.get("access") or {}
    if access.get("password_sha256") or access.get("password"):
        return "password"
    return "open"


def password_hash(password: str) -> str:
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


def password_matches(given: str, secrets: Mapping) -> bool:
    access = secrets.get("access") or {}
    expected = access.get("password_sha256") or password_hash(str(access.get("password", "")))
    return hmac.compare_digest(password_hash(given), str(expected).strip().lower())


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


if __name__ == "__main__":
    # Prints the line to put under [access] in .streamlit/secrets.toml.
    print(f'password_sha256 = "{password_hash(getpass.getpass("Password for the app: "))}"')
