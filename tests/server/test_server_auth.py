"""Safe by default: the development secret stays on loopback; keys from an identity provider's JWKS
URL (served here on loopback) with caching and rotation; `aud`; claim names of another provider."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import jwt
import pytest

from graph.kernel.errors import Unauthenticated
from resolvers.kernel.viewer import Role, Viewer
from server.auth import cached_authenticator, issue_token, viewer_from_header
from server.cli import refuse_unsafe
from server.settings import DEV_JWT_SECRET, Settings
from tests.server.test_auth import HOUR, bearer, jwk_of, rejected, write_key_pair
from tests.support import workflow_helpers as w


class _Provider(BaseHTTPRequestHandler):
    """An identity provider's JWKS endpoint; the test swaps the published keys to rotate them."""

    keys: ClassVar[list[dict]] = []
    fetches = 0

    def do_GET(self) -> None:
        type(self).fetches += 1
        body = json.dumps({"keys": type(self).keys}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def provider() -> Iterator[str]:
    _Provider.keys, _Provider.fetches = [], 0
    with w.http_server(_Provider) as base:
        yield f"{base}/realms/xian/protocol/openid-connect/certs"


ISSUER = "https://sso.xian.example/realms/xian"
OPS_CLAIMS = {"sub": "user:ops-1", "role": "CITY_ADMIN"}
OPS = Viewer("user:ops-1", Role.CITY_ADMIN, None)


def _from_provider(url: str, **more: object) -> Settings:
    """Keys from the provider at `url`, fetched again whenever a token asks for it (no minimum wait)."""
    return Settings(jwt_algorithm="RS256", jwt_jwks_url=url, jwt_issuer=ISSUER, jwt_jwks_min_refresh_seconds=0, **more)


def _signed(private: Path, kid: str, claims: dict) -> str:
    now = datetime.now(UTC)
    body = {"iat": now, "exp": now + HOUR, "iss": ISSUER, **claims}
    return jwt.encode(body, private.read_bytes(), algorithm="RS256", headers={"kid": kid})


def test_keys_come_from_a_jwks_url_cached_and_rotated(tmp_path: Path, provider: str) -> None:
    old_private, old_public = write_key_pair(tmp_path, "old")
    new_private, new_public = write_key_pair(tmp_path, "new")
    settings = _from_provider(provider)
    _Provider.keys = [jwk_of(old_public, "k1")]
    first = _signed(old_private, "k1", OPS_CLAIMS)
    assert viewer_from_header(bearer(first), settings) == OPS
    assert viewer_from_header(bearer(first), settings) == OPS
    assert _Provider.fetches == 1, "the key set is cached, not fetched per token"

    # The provider rotates: a token with the new kid makes the server fetch the set again.
    _Provider.keys = [jwk_of(new_public, "k2")]
    rotated = _signed(new_private, "k2", OPS_CLAIMS)
    assert viewer_from_header(bearer(rotated), settings) == OPS
    assert _Provider.fetches == 2
    # A kid nobody publishes is refused, naming it.
    forged = _signed(new_private, "k9", OPS_CLAIMS)
    assert "'k9' is not among the published keys" in rejected(bearer(forged), settings)


def test_a_key_taken_out_of_the_jwks_is_refused_from_the_next_fetch_on(tmp_path: Path, provider: str) -> None:
    """The server remembers tokens it verified (server/auth.py `cached_authenticator`), but only while the
    key set they were verified with is the one in hand."""
    old_private, old_public = write_key_pair(tmp_path, "old")
    new_private, new_public = write_key_pair(tmp_path, "new")
    third_private, third_public = write_key_pair(tmp_path, "third")
    authenticate = cached_authenticator(_from_provider(provider))
    _Provider.keys = [jwk_of(old_public, "k1"), jwk_of(new_public, "k2")]
    old = bearer(_signed(old_private, "k1", OPS_CLAIMS))
    assert authenticate(old) == OPS and authenticate(old) == OPS
    assert _Provider.fetches == 1

    # The provider takes k1 out. Until the set is fetched again, the keys in hand are the fetched ones.
    _Provider.keys = [jwk_of(new_public, "k2"), jwk_of(third_public, "k3")]
    assert authenticate(old) == OPS and _Provider.fetches == 1
    # A token naming a key not in hand makes the server fetch the set: from then on k1 is refused,
    # however recently a token signed with it was verified.
    assert authenticate(bearer(_signed(third_private, "k3", OPS_CLAIMS))) == OPS
    assert _Provider.fetches == 2
    for _ in range(2):  # a refusal is not remembered, and not turned into a trust either
        with pytest.raises(Unauthenticated, match="'k1' is not among the published keys"):
            authenticate(old)
    assert authenticate(bearer(_signed(new_private, "k2", OPS_CLAIMS))) == OPS


def test_trusted_tokens_are_verified_again_once_the_key_set_is_due(tmp_path: Path, provider: str) -> None:
    (private, public), (_, other_public) = write_key_pair(tmp_path), write_key_pair(tmp_path, "other")
    authenticate = cached_authenticator(_from_provider(provider, jwt_jwks_cache_seconds=1))
    _Provider.keys = [jwk_of(public, "k1")]
    token = bearer(_signed(private, "k1", OPS_CLAIMS))
    assert authenticate(token) is not None and _Provider.fetches == 1
    _Provider.keys = [jwk_of(other_public, "k2")]
    time.sleep(1.2)  # the fetched set's lifetime (JWT_JWKS_CACHE_SECONDS) has passed: the next token fetches it
    with pytest.raises(Unauthenticated, match="'k1' is not among the published keys"):
        authenticate(token)
    assert _Provider.fetches >= 2


def test_audience_is_checked_when_set() -> None:
    settings = Settings(jwt_secret="s" * 40, jwt_audience="minhu-api")
    mine = issue_token("CITY_ADMIN", None, None, HOUR, settings)
    assert jwt.decode(mine, options={"verify_signature": False})["aud"] == "minhu-api"
    assert viewer_from_header(bearer(mine), settings) == Viewer("user:cli-city_admin", Role.CITY_ADMIN, None)
    now = datetime.now(UTC)
    theirs = jwt.encode(
        {"sub": "user:x", "role": "CITY_ADMIN", "iat": now, "exp": now + HOUR, "iss": "minhu", "aud": "other-app"},
        "s" * 40,
        algorithm="HS256",
    )
    assert "meant for 'other-app'" in rejected(bearer(theirs), settings)
    no_aud = issue_token("CITY_ADMIN", None, None, HOUR, Settings(jwt_secret="s" * 40))
    assert "'aud'" in rejected(bearer(no_aud), settings)
    # Without JWT_AUDIENCE, an `aud` a provider adds is accepted.
    assert viewer_from_header(bearer(theirs), Settings(jwt_secret="s" * 40)) == Viewer("user:x", Role.CITY_ADMIN, None)


def test_keycloak_style_claims_with_nested_paths(tmp_path: Path, provider: str) -> None:
    private, public = write_key_pair(tmp_path)
    _Provider.keys = [jwk_of(public, "kc")]
    settings = Settings(
        jwt_algorithm="RS256",
        jwt_jwks_url=provider,
        jwt_issuer=ISSUER,
        jwt_audience="minhu",
        jwt_role_claim="realm_access.roles",
        jwt_scope_claim="minhu_scope",
        jwt_subject_claim="minhu_subject",
    )
    token = _signed(
        private,
        "kc",
        {
            "sub": "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
            "aud": ["account", "minhu"],
            "realm_access": {"roles": ["offline_access", "uma_authorization", "coordinator"]},
            "minhu_scope": "community:610103001009",
            "minhu_subject": "user:wang-fang",
        },
    )
    assert viewer_from_header(bearer(token), settings) == Viewer(
        "user:wang-fang", Role.COORDINATOR, "community:610103001009"
    )
    none_of_ours = _signed(
        private, "kc", {"aud": "minhu", "realm_access": {"roles": ["offline_access"]}, "minhu_subject": "user:x"}
    )
    assert "names no Minhu role" in rejected(bearer(none_of_ours), settings)


def test_the_development_secret_is_refused_off_loopback() -> None:
    dev = Settings()
    assert dev.jwt_secret == DEV_JWT_SECRET
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert refuse_unsafe(dev, host) is None, host
    for host in ("0.0.0.0", "192.0.2.10", "::", "api.minhu.example"):
        assert "development secret" in (refuse_unsafe(dev, host) or ""), host
    assert refuse_unsafe(Settings(jwt_secret="a-long-random-secret-set-by-the-operator"), "0.0.0.0") is None


def test_minhu_serve_refuses_the_development_secret_on_all_addresses(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JWT_", "NEO4J_"))}
    env["MINHU_DATA_DIR"] = str(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 2
    assert "refusing to serve on 0.0.0.0" in proc.stderr and "JWT_SECRET" in proc.stderr
    assert not (tmp_path / "neo4j").exists(), "refused before starting anything"
