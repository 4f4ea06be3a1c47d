"""JWT verification and issuing, role/scope validation, TTLs and masking: pure, no Neo4j."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from graph.kernel.errors import BadUserInput, Unauthenticated
from resolvers.kernel.authz import mask_address, mask_phone, require_role, require_viewer
from resolvers.kernel.viewer import Role, Viewer
from server.auth import issue_token, parse_ttl, viewer_from_header
from server.settings import Settings

HOUR = timedelta(hours=1)
SECRET = "a-test-secret-that-is-long-enough-for-hs256"

# (role, scope, subject) that each role accepts.
VALID = [
    (Role.RESIDENT, None, "resident:123"),
    (Role.MEMBER, None, "member:45"),
    (Role.UNIT_ADMIN, "unit:7", None),
    (Role.COORDINATOR, "community:610103001004", None),
    (Role.COORDINATOR, "street:610103001", None),
    (Role.DISTRICT_ADMIN, "district:610103", None),
    (Role.CITY_ADMIN, None, None),
]


def hs_settings(**overrides: object) -> Settings:
    return Settings(**{"jwt_secret": SECRET, **overrides})


def bearer(token: str) -> str:
    return f"Bearer {token}"


def rejected(header: str, settings: Settings) -> str:
    with pytest.raises(Unauthenticated) as caught:
        viewer_from_header(header, settings)
    return caught.value.message


def raw_token(claims: dict[str, object], key: object = SECRET, algorithm: str = "HS256", **kw: object) -> str:
    now = datetime.now(UTC)
    base = {"sub": "user:x", "role": "CITY_ADMIN", "iat": now, "exp": now + HOUR, "iss": "minhu"}
    return jwt.encode({**base, **claims}, key, algorithm=algorithm, **kw)


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "scope", "subject"), VALID)
def test_hs256_token_round_trips_for_every_role(role: Role, scope: str | None, subject: str | None) -> None:
    settings = hs_settings()
    token = issue_token(role.value, scope, subject, HOUR, settings)
    viewer = viewer_from_header(bearer(token), settings)
    assert viewer == Viewer(subject=subject or f"user:cli-{role.value.lower()}", role=role, scope_id=scope)


def test_city_scope_is_stored_as_none_and_roles_are_case_insensitive() -> None:
    settings = hs_settings()
    token = issue_token("city_admin", "city", None, HOUR, settings)
    assert viewer_from_header(bearer(token), settings) == Viewer("user:cli-city_admin", Role.CITY_ADMIN, None)


def test_no_header_is_anonymous() -> None:
    assert viewer_from_header(None, hs_settings()) is None
    assert viewer_from_header("  ", hs_settings()) is None


# --- rejections ------------------------------------------------------------------------------


def test_expired_token_is_rejected_with_its_expiry() -> None:
    settings = hs_settings()
    token = issue_token("CITY_ADMIN", None, None, HOUR, settings, now=datetime(2024, 1, 1, tzinfo=UTC))
    message = rejected(bearer(token), settings)
    assert "expired at 2024-01-01T01:00:00+00:00" in message
    assert "sign in again" in message


def test_bad_signature_is_rejected() -> None:
    token = issue_token("CITY_ADMIN", None, None, HOUR, hs_settings(jwt_secret="another-secret-of-enough-length-000"))
    assert "signature does not verify" in rejected(bearer(token), hs_settings())


def test_wrong_algorithm_is_rejected() -> None:
    token = raw_token({}, key=SECRET * 2, algorithm="HS512")
    assert "signed with 'HS512'; this server accepts only HS256" in rejected(bearer(token), hs_settings())


def test_unsigned_token_is_rejected() -> None:
    token = raw_token({}, key=None, algorithm="none")
    assert "signed with 'none'" in rejected(bearer(token), hs_settings())


def test_wrong_issuer_is_rejected_naming_both() -> None:
    token = raw_token({"iss": "elsewhere"})
    assert "issued by 'elsewhere'; this server accepts tokens from 'minhu'" in rejected(bearer(token), hs_settings())


@pytest.mark.parametrize("claim", ["sub", "role", "exp", "iat", "iss"])
def test_missing_claims_are_named(claim: str) -> None:
    now = datetime.now(UTC)
    claims = {"sub": "user:x", "role": "CITY_ADMIN", "iat": now, "exp": now + HOUR, "iss": "minhu"}
    del claims[claim]
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    assert f"lacks the {claim!r} claim" in rejected(bearer(token), hs_settings())


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Basic dXNlcjpwYXNz", "Bearer a b", "Token abc.def.ghi", "bearer not-a-jwt", "Bearer ....", "Bearer 🙂"],
)
def test_garbage_headers_are_rejected_clearly(header: str) -> None:
    message = rejected(header, hs_settings())
    assert "Bearer <token>" in message or "not a JWT" in message or "decoded" in message


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"role": "MAYOR"}, "'MAYOR' is not a Minhu role"),
        ({"role": "COORDINATOR", "scope": "district:610103"}, "'community:…' or 'street:…'"),
        ({"role": "COORDINATOR"}, "COORDINATOR token's 'scope' must be"),
        ({"role": "DISTRICT_ADMIN", "scope": "street:610103001"}, "'district:…'"),
        ({"role": "UNIT_ADMIN", "scope": "community:610103001004"}, "'unit:…'"),
        ({"role": "CITY_ADMIN", "scope": "district:610103"}, "takes no 'scope'"),
        ({"role": "RESIDENT", "sub": "user:9"}, "must be a resident id"),
        ({"role": "MEMBER", "sub": "resident:9"}, "must be a member id"),
        ({"role": "RESIDENT", "sub": "resident:9", "scope": "community:1"}, "takes no 'scope'"),
        ({"role": "COORDINATOR", "scope": 42}, "must be a string id"),
    ],
)
def test_malformed_role_and_scope_claims_are_unauthenticated(claims: dict[str, object], expected: str) -> None:
    assert expected in rejected(bearer(raw_token(claims)), hs_settings())


def test_issuing_an_invalid_combination_is_bad_input() -> None:
    with pytest.raises(BadUserInput, match="must be a resident id"):
        issue_token("RESIDENT", None, None, HOUR, hs_settings())
    with pytest.raises(BadUserInput, match="'district:…'"):
        issue_token("DISTRICT_ADMIN", "community:610103001004", None, HOUR, hs_settings())
    with pytest.raises(BadUserInput, match="lifetime"):
        issue_token("CITY_ADMIN", None, None, timedelta(0), hs_settings())


# --- RS256 -----------------------------------------------------------------------------------


def write_key_pair(folder: Path, name: str = "jwt") -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = folder / f"{name}.pem"
    public = folder / f"{name}.pub.pem"
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    public.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return private, public


def jwk_of(public: Path, kid: str) -> dict[str, object]:
    key = serialization.load_pem_public_key(public.read_bytes())
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key))
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


def test_rs256_with_pem_public_key(tmp_path: Path) -> None:
    private, public = write_key_pair(tmp_path)
    signer = Settings(jwt_algorithm="RS256", jwt_private_key_file=private)
    verifier = Settings(jwt_algorithm="RS256", jwt_public_key_file=public)
    token = issue_token("DISTRICT_ADMIN", "district:610103", None, HOUR, signer)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert viewer_from_header(bearer(token), verifier) == Viewer(
        "user:cli-district_admin", Role.DISTRICT_ADMIN, "district:610103"
    )
    # The private key alone is enough to verify, too (development setups).
    assert viewer_from_header(bearer(token), signer) == Viewer(
        "user:cli-district_admin", Role.DISTRICT_ADMIN, "district:610103"
    )


def test_rs256_rejects_a_token_from_another_key(tmp_path: Path) -> None:
    _, public = write_key_pair(tmp_path, "ours")
    theirs, _ = write_key_pair(tmp_path, "theirs")
    token = issue_token("CITY_ADMIN", None, None, HOUR, Settings(jwt_algorithm="RS256", jwt_private_key_file=theirs))
    message = rejected(bearer(token), Settings(jwt_algorithm="RS256", jwt_public_key_file=public))
    assert "signature does not verify" in message


def test_rs256_server_refuses_hs256_tokens(tmp_path: Path) -> None:
    _, public = write_key_pair(tmp_path)
    token = issue_token("CITY_ADMIN", None, None, HOUR, hs_settings())
    message = rejected(bearer(token), Settings(jwt_algorithm="RS256", jwt_public_key_file=public))
    assert "signed with 'HS256'; this server accepts only RS256" in message


def test_rs256_with_jwks_selects_the_key_by_kid(tmp_path: Path) -> None:
    old_private, old_public = write_key_pair(tmp_path, "old")
    new_private, new_public = write_key_pair(tmp_path, "new")
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [jwk_of(old_public, "2025"), jwk_of(new_public, "2026")]}))
    verifier = Settings(jwt_algorithm="RS256", jwt_jwks_file=jwks)

    for kid, private in (("2025", old_private), ("2026", new_private)):
        signer = Settings(jwt_algorithm="RS256", jwt_private_key_file=private, jwt_key_id=kid)
        token = issue_token("MEMBER", None, "member:45", HOUR, signer)
        assert viewer_from_header(bearer(token), verifier) == Viewer("member:45", Role.MEMBER, None)

    wrong_kid = Settings(jwt_algorithm="RS256", jwt_private_key_file=new_private, jwt_key_id="2025")
    token = issue_token("MEMBER", None, "member:45", HOUR, wrong_kid)
    assert "signature does not verify" in rejected(bearer(token), verifier)

    unknown = Settings(jwt_algorithm="RS256", jwt_private_key_file=new_private, jwt_key_id="1999")
    token = issue_token("MEMBER", None, "member:45", HOUR, unknown)
    assert "key id '1999' is not among the published keys" in rejected(bearer(token), verifier)

    no_kid = issue_token(
        "MEMBER", None, "member:45", HOUR, Settings(jwt_algorithm="RS256", jwt_private_key_file=new_private)
    )
    assert "no 'kid' header" in rejected(bearer(no_kid), verifier)


def test_jwks_with_one_key_accepts_tokens_without_kid(tmp_path: Path) -> None:
    private, public = write_key_pair(tmp_path)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [jwk_of(public, "only")]}))
    token = issue_token("CITY_ADMIN", None, None, HOUR, Settings(jwt_algorithm="RS256", jwt_private_key_file=private))
    verifier = Settings(jwt_algorithm="RS256", jwt_jwks_file=jwks)
    assert viewer_from_header(bearer(token), verifier) == Viewer("user:cli-city_admin", Role.CITY_ADMIN, None)


def test_rs256_issuing_without_a_private_key_says_what_to_set(tmp_path: Path) -> None:
    _, public = write_key_pair(tmp_path)
    with pytest.raises(BadUserInput, match="JWT_PRIVATE_KEY_FILE"):
        issue_token("CITY_ADMIN", None, None, HOUR, Settings(jwt_algorithm="RS256", jwt_public_key_file=public))


# --- TTLs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1h", HOUR), ("30m", timedelta(minutes=30)), ("7d", timedelta(days=7)), ("3600s", HOUR), (" 2H ", 2 * HOUR)],
)
def test_parse_ttl(text: str, expected: timedelta) -> None:
    assert parse_ttl(text) == expected


@pytest.mark.parametrize("text", ["", "h", "1", "1y", "-1h", "0s", "1.5h", "1h30m", "400d", "ten minutes"])
def test_parse_ttl_rejects_nonsense(text: str) -> None:
    with pytest.raises(BadUserInput, match="lifetime"):
        parse_ttl(text)


# --- pure authz helpers ----------------------------------------------------------------------


def test_require_viewer_and_role() -> None:
    with pytest.raises(Unauthenticated, match="send Authorization: Bearer <token>"):
        require_viewer(None)
    coordinator = Viewer("user:1", Role.COORDINATOR, "community:610103001004")
    assert require_role(coordinator, Role.COORDINATOR, Role.CITY_ADMIN) is coordinator
    with pytest.raises(Exception, match="for DISTRICT_ADMIN, CITY_ADMIN; you are signed in as COORDINATOR"):
        require_role(coordinator, Role.DISTRICT_ADMIN, Role.CITY_ADMIN)


def test_mask_phone() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("029-88881234") == "029****1234"
    assert mask_phone("12345") == "****45"
    assert mask_phone("110") == "****"
    assert mask_phone(None) is None


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("雁塔区小寨路社区 翠华小区 3号楼2单元501室", "雁塔区小寨路社区 翠华小区 ****"),
        ("书院门社区 碑林小区 12栋 3-501", "书院门社区 碑林小区 ****"),
        ("纺织城3号院 5号楼 101室", "纺织城3号院 ****"),
        ("某某村 12组 3户", "某某村 ****"),
        ("翠华小区", "翠华小区"),
        ("501室", "****"),
        ("somewhere private", "****"),
    ],
)
def test_mask_address_keeps_places_and_hides_the_flat(address: str, expected: str) -> None:
    assert mask_address(address) == expected
