"""Credentials for the Schemathesis run against a real account server.

Loaded through SCHEMATHESIS_HOOKS by crates/account-server/tests/api/schemathesis.rs,
which starts the server, seeds its users and passes their credentials in the
environment (ST_EMAIL, ST_PASSWORD, ST_SERVICE_TOKEN).

Why a provider and not a fixed token: some operations end the session that makes them
(DELETE /v1/sessions/current, DELETE /v1/sessions/{id} on the current session). The
provider signs in through the API itself, and Schemathesis drops a cached token on a
401 (its `retry_on`), so the next case signs in again instead of testing every later
operation unauthenticated.
"""

import os

import requests
import schemathesis


def _base(case):
    return case.operation.base_url.rstrip("/")


@schemathesis.auth(refresh_interval=3600).skip_for(path_regex=r"^/v1/service/")
class UserSession:
    """A session of the seeded owner (every permission: billing, roles)."""

    def get(self, case, ctx):
        answer = requests.post(
            f"{_base(case)}/v1/sessions",
            json={
                "email": os.environ["ST_EMAIL"],
                "password": os.environ["ST_PASSWORD"],
                "deviceName": "schemathesis",
            },
            timeout=10,
        )
        answer.raise_for_status()
        return answer.json()["token"]

    def set(self, case, token, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {token}"


@schemathesis.auth().apply_to(path_regex=r"^/v1/service/")
class ServiceToken:
    """The service API's token, from the server's configuration."""

    def get(self, case, ctx):
        return os.environ["ST_SERVICE_TOKEN"]

    def set(self, case, token, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {token}"
