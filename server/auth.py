"""JWT authentication: `Authorization: Bearer <token>` in, a checked `Viewer` (or None) out.

Tokens are HS256 with `JWT_SECRET` by default. With `JWT_ALGORITHM=RS256` they are verified with
the public key in `JWT_PUBLIC_KEY_FILE` (PEM) or a key of `JWT_JWKS_FILE` (JWKS JSON, chosen by the
token's `kid`); when only `JWT_PRIVATE_KEY_FILE` is set, its public half is used. The server
accepts exactly the configured algorithm, so an RS256 public key can never be replayed as an
HS256 secret, and `alg: none` is refused.

Claims: `sub`, `role`, `scope` (per role, see `resolvers/viewer.py`), `exp`, `iat`, `iss`.
Key files are read once and re-read when they change on disk (key rotation without restart).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from graph.kernel.errors import BadUserInput, Unauthenticated, Unavailable
from resolvers.kernel.viewer import Viewer
from server.settings import Settings

ALGORITHMS = ("HS256", "RS256")
REQUIRED_CLAIMS = ["sub", "role", "exp", "iat", "iss"]
MAX_TTL = timedelta(days=365)

_SIGN_IN = "sign in again to get a new token"


# --- verifying -------------------------------------------------------------------------------


def viewer_from_header(header: str | None, settings: Settings) -> Viewer | None:
    """The viewer an `Authorization` header names; None when the request sends no header.

    Raises Unauthenticated, with a message saying what is wrong, for anything else that does not
    verify: a header that is not `Bearer <token>`, a bad signature, an expired token, another
    issuer, missing or malformed claims.
    """
    if header is None or not header.strip():
        return None
    claims = decode_token(_bearer_token(header), settings)
    return Viewer.from_claims(claims["sub"], claims["role"], claims.get("scope"))


def decode_token(token: str, settings: Settings) -> dict[str, Any]:
    """The verified claims of `token`; Unauthenticated when it does not verify."""
    algorithm = _algorithm(settings)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise Unauthenticated(
            "the bearer token is not a JWT: expected three base64url parts separated by dots"
        ) from None
    if header.get("alg") != algorithm:
        raise Unauthenticated(f"the token is signed with {header.get('alg')!r}; this server accepts only {algorithm}")
    key = _verification_key(header, settings)
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            issuer=settings.jwt_issuer,
            leeway=settings.jwt_leeway_seconds,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated(_explain(exc, token, settings)) from None


def _bearer_token(header: str) -> str:
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise Unauthenticated("the Authorization header must be 'Bearer <token>' (one JWT after the word Bearer)")
    return token


def _explain(exc: jwt.InvalidTokenError, token: str, settings: Settings) -> str:
    # The signature has been checked before any claim error is raised, so reading claims is safe here.
    if isinstance(exc, jwt.InvalidSignatureError):
        return "the token's signature does not verify: it was not signed by this server's key"
    claims = _unverified_claims(token)
    if isinstance(exc, jwt.ExpiredSignatureError):
        expired = _timestamp(claims.get("exp"))
        return f"the token expired{f' at {expired}' if expired else ''}; {_SIGN_IN}"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"the token lacks the {exc.claim!r} claim (required: {', '.join(REQUIRED_CLAIMS)})"
    if isinstance(exc, jwt.InvalidIssuerError):
        return f"the token was issued by {claims.get('iss')!r}; this server accepts tokens from {settings.jwt_issuer!r}"
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "the token is not valid yet (iat/nbf lies in the future); check the issuing clock"
    if isinstance(exc, jwt.DecodeError):
        return "the bearer token could not be decoded: it is truncated or not a JWT"
    return f"the token is not acceptable: {exc}"


def _unverified_claims(token: str) -> dict[str, Any]:
    try:
        return jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return {}


def _timestamp(value: object) -> str | None:
    if not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value, UTC).isoformat(timespec="seconds")


def _algorithm(settings: Settings) -> str:
    algorithm = settings.jwt_algorithm.upper()
    if algorithm not in ALGORITHMS:
        raise Unavailable(f"JWT_ALGORITHM is {settings.jwt_algorithm!r}; set it to one of {', '.join(ALGORITHMS)}")
    return algorithm


def _verification_key(header: dict[str, Any], settings: Settings) -> Any:
    if _algorithm(settings) == "HS256":
        return settings.jwt_secret
    if settings.jwt_jwks_file:
        return _jwks_key(settings.jwt_jwks_file, header.get("kid"))
    if settings.jwt_public_key_file:
        return _load(settings.jwt_public_key_file, _public_key)
    if settings.jwt_private_key_file:
        return _load(settings.jwt_private_key_file, _private_key).public_key()
    raise Unavailable("JWT_ALGORITHM is RS256 but none of JWT_PUBLIC_KEY_FILE, JWT_JWKS_FILE is set")


def _jwks_key(path: Path, kid: object) -> Any:
    keys = _load(path, _jwks)
    if kid is None:
        if len(keys.keys) == 1:
            return keys.keys[0].key
        raise Unauthenticated(f"the token has no 'kid' header, so it names none of the {len(keys.keys)} published keys")
    try:
        return keys[str(kid)].key
    except KeyError:
        raise Unauthenticated(f"the token's key id {kid!r} is not among the published keys; {_SIGN_IN}") from None


def _load(path: Path, parse: Any) -> Any:
    """`parse(path)` cached per file version, so a rotated key is picked up without a restart."""
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as exc:
        raise Unavailable(f"cannot read the JWT key file {str(path)!r}: {exc.strerror}") from None
    return _cached(parse, str(path), stamp)


@lru_cache(maxsize=16)
def _cached(parse: Any, path: str, stamp: int) -> Any:
    try:
        return parse(Path(path).read_bytes())
    except (ValueError, TypeError, jwt.PyJWKError) as exc:
        raise Unavailable(f"the JWT key file {path!r} cannot be used: {exc}") from None


def _public_key(data: bytes) -> RSAPublicKey:
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, RSAPublicKey):
        raise ValueError("expected a PEM RSA public key ('-----BEGIN PUBLIC KEY-----')")
    return key


def _private_key(data: bytes) -> RSAPrivateKey:
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("expected an unencrypted PEM RSA private key")
    return key


def _jwks(data: bytes) -> jwt.PyJWKSet:
    return jwt.PyJWKSet.from_dict(json.loads(data))


# --- issuing ---------------------------------------------------------------------------------


def issue_token(
    role: str,
    scope: str | None,
    subject: str | None,
    ttl: timedelta,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> str:
    """A signed token for `role` at `scope`; BadUserInput when the combination is not valid.

    HS256 with JWT_SECRET, or RS256 with JWT_PRIVATE_KEY_FILE (its header carries JWT_KEY_ID as
    `kid` when set). The subject defaults to `user:cli-<role>`.
    """
    if ttl <= timedelta(0) or ttl > MAX_TTL:
        raise BadUserInput(f"the token lifetime must be between 1 second and {MAX_TTL.days} days", field="ttl")
    subject = subject or f"user:cli-{str(role).lower()}"
    viewer = Viewer.from_claims(subject, role, scope, error=BadUserInput)
    issued = (now or datetime.now(UTC)).replace(microsecond=0)
    claims: dict[str, Any] = {
        "sub": viewer.subject,
        "role": viewer.role.value,
        "iat": issued,
        "exp": issued + ttl,
        "iss": settings.jwt_issuer,
    }
    if viewer.scope_id:
        claims["scope"] = viewer.scope_id
    headers = {"kid": settings.jwt_key_id} if settings.jwt_key_id else None
    algorithm = _algorithm(settings)
    if algorithm == "HS256":
        return jwt.encode(claims, settings.jwt_secret, algorithm=algorithm, headers=headers)
    if not settings.jwt_private_key_file:
        raise BadUserInput(
            "JWT_ALGORITHM is RS256 but JWT_PRIVATE_KEY_FILE is not set, so this server cannot sign tokens; "
            "point it at a PEM private key or get tokens from your identity provider",
            field="JWT_PRIVATE_KEY_FILE",
        )
    key = _load(settings.jwt_private_key_file, _private_key)
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


_TTL = re.compile(r"^\s*(\d{1,7})\s*([smhd])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_ttl(text: str) -> timedelta:
    """`"1h"`, `"30m"`, `"7d"`, `"3600s"` as a timedelta; BadUserInput on anything else."""
    match = _TTL.match(text or "")
    if not match:
        raise BadUserInput(
            f"token lifetime {text!r} is not understood: write a whole number and a unit, like 3600s, 30m, 1h or 7d",
            field="ttl",
        )
    ttl = timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
    if ttl <= timedelta(0) or ttl > MAX_TTL:
        raise BadUserInput(f"token lifetime {text!r} must be between 1s and {MAX_TTL.days}d", field="ttl")
    return ttl
