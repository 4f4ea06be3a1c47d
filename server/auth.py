"""JWT authentication: `Authorization: Bearer <token>` in, a checked `Viewer` (or None) out.

Tokens are HS256 with `JWT_SECRET` by default. With `JWT_ALGORITHM=RS256` they are verified with
a key of an identity provider's JWKS at `JWT_JWKS_URL` (fetched, cached for
`JWT_JWKS_CACHE_SECONDS`, fetched again when a token names an unknown `kid`, so a rotated key is
picked up without a restart), the public key in `JWT_PUBLIC_KEY_FILE` (PEM), or a key of
`JWT_JWKS_FILE` (chosen by `kid`); when only `JWT_PRIVATE_KEY_FILE` is set, its public half is
used. The server accepts exactly the configured algorithm, so an RS256 public key can never be
replayed as an HS256 secret, and `alg: none` is refused.

Claims: `exp`, `iat`, `iss` (and `aud` when `JWT_AUDIENCE` is set), and the subject, role and
scope under the names `JWT_SUBJECT_CLAIM`, `JWT_ROLE_CLAIM`, `JWT_SCOPE_CLAIM` (default `sub`,
`role`, `scope`; see `resolvers/kernel/viewer.py`). A dotted name reaches into nested claims, and a
role claim holding a list (Keycloak's `realm_access.roles`) gives the first Minhu role in it, in
any letter case. Key files are re-read when they change on disk.
"""

from __future__ import annotations

import json
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from graph.kernel.errors import BadUserInput, Unauthenticated, Unavailable
from resolvers.kernel.viewer import Role, Viewer
from server.settings import Settings

ALGORITHMS = ("HS256", "RS256")
REQUIRED_CLAIMS = ["exp", "iat", "iss"]
MAX_TTL = timedelta(days=365)

_SIGN_IN = "sign in again to get a new token"


# --- verifying -------------------------------------------------------------------------------


def viewer_from_header(header: str | None, settings: Settings) -> Viewer | None:
    """The viewer an `Authorization` header names; None when the request sends no header.

    Raises Unauthenticated, with a message saying what is wrong, for anything else that does not
    verify: a header that is not `Bearer <token>`, a bad signature, an expired token, another
    issuer, missing or malformed claims.
    """
    return _viewer_until(header, settings)[0]


# How long a verified token is taken on trust without checking its signature again, at most.
TRUSTED_SECONDS = 60.0
TRUSTED_TOKENS = 1024


def cached_authenticator(settings: Settings) -> Callable[[str | None], Viewer | None]:
    """`viewer_from_header` for one server's settings, remembering tokens it verified.

    Verifying costs about a tenth of a millisecond, a tenth of a small compiled read. A token is
    remembered until it expires (with the leeway) or TRUSTED_SECONDS pass, whichever is first, and
    only while the keys it was verified with are the ones in hand (`key_generation`): once the JWKS
    is fetched again, or is due to be, every token is verified again, so a key the provider took out
    stops being honoured with that fetch. Refused tokens are never remembered, so each refusal says
    what is wrong now.
    """
    trusted: OrderedDict[str, tuple[Viewer | None, float, object]] = OrderedDict()

    def authenticate(header: str | None) -> Viewer | None:
        if header is None:
            return None
        now, generation = time.time(), key_generation(settings)
        known = trusted.get(header)
        if known is not None and now < known[1] and known[2] == generation:
            return known[0]
        viewer, expires = _viewer_until(header, settings)
        until = min(expires + settings.jwt_leeway_seconds, now + TRUSTED_SECONDS)
        # Remembered under the keys in hand before verifying: had verifying fetched new ones, the next
        # request verifies once more, which is the safe side.
        trusted[header] = (viewer, until, generation)
        if len(trusted) > TRUSTED_TOKENS:
            trusted.popitem(last=False)
        return viewer

    return authenticate


def key_generation(settings: Settings) -> object:
    """Which keys verify tokens now: the JWKS as last fetched (stale once its cache expired), the key
    file's version, or nothing for a fixed secret. A token verified under another generation is
    verified again."""
    if _algorithm(settings) == "HS256":
        return None
    # A new object() equals nothing but itself: keys due to be read again trust no token.
    if settings.jwt_jwks_url:
        cache = _remote_keys(settings).jwk_set_cache
        held = cache.jwk_set_with_timestamp if cache is not None else None
        return held if held is not None and cache is not None and not cache.is_expired() else object()
    path = settings.jwt_jwks_file or settings.jwt_public_key_file or settings.jwt_private_key_file
    try:
        return path.stat().st_mtime_ns if path is not None else None
    except OSError:
        return object()


def _viewer_until(header: str | None, settings: Settings) -> tuple[Viewer | None, float]:
    """The viewer and when its token expires (epoch seconds)."""
    if header is None or not header.strip():
        return None, float("inf")
    claims = decode_token(_bearer_token(header), settings)
    subject = claim(claims, settings.jwt_subject_claim)
    if subject is None:
        raise Unauthenticated(f"the token lacks the {settings.jwt_subject_claim!r} claim (who is calling)")
    raw_role = claim(claims, settings.jwt_role_claim)
    if raw_role is None:
        raise Unauthenticated(f"the token lacks the {settings.jwt_role_claim!r} claim (which Minhu role it acts in)")
    role = _minhu_role(raw_role)
    if role is None:
        raise Unauthenticated(
            f"the token's {settings.jwt_role_claim!r} claim names no Minhu role "
            f"({', '.join(r.value for r in Role)}); ask your administrator for one"
        )
    return Viewer.from_claims(subject, role, claim(claims, settings.jwt_scope_claim)), float(claims["exp"])


def claim(claims: dict[str, Any], path: str) -> Any:
    """The claim at `path`; dots reach into nested objects (`realm_access.roles`). None if absent."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _minhu_role(value: Any) -> str | None:
    """A role claim as a Minhu role name: the value itself, or the first Minhu role in a list."""
    names = {role.value for role in Role}
    candidates = value if isinstance(value, list) else [value]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip().upper() in names:
            return candidate.strip().upper()
    if isinstance(value, str):
        return value  # not a Minhu role: Viewer.from_claims says which ones are
    return None


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
            audience=settings.jwt_audience,
            leeway=settings.jwt_leeway_seconds,
            options={
                "require": [*REQUIRED_CLAIMS, *(["aud"] if settings.jwt_audience else [])],
                # Without JWT_AUDIENCE, an `aud` the provider adds (Keycloak: "account") is not ours to judge.
                "verify_aud": bool(settings.jwt_audience),
            },
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
    if isinstance(exc, jwt.InvalidAudienceError):
        return f"the token is meant for {claims.get('aud')!r}; this server accepts tokens for {settings.jwt_audience!r}"
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
    if settings.jwt_jwks_url:
        return _remote_key(settings, header.get("kid"))
    if settings.jwt_jwks_file:
        return _jwks_key(settings.jwt_jwks_file, header.get("kid"))
    if settings.jwt_public_key_file:
        return _load(settings.jwt_public_key_file, _public_key)
    if settings.jwt_private_key_file:
        return _load(settings.jwt_private_key_file, _private_key).public_key()
    raise Unavailable("JWT_ALGORITHM is RS256 but none of JWT_JWKS_URL, JWT_PUBLIC_KEY_FILE, JWT_JWKS_FILE is set")


@lru_cache(maxsize=4)
def _jwks_client(url: str, lifespan: float, cooldown: float) -> jwt.PyJWKClient:
    # One client per URL: it caches the key set for `lifespan` and refetches it at most once per
    # `cooldown` for a `kid` it does not know (a rotated key), so forged kids cannot flood the provider.
    return jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=lifespan, timeout=5, cooldown_duration=cooldown)


def _remote_keys(settings: Settings) -> jwt.PyJWKClient:
    return _jwks_client(
        str(settings.jwt_jwks_url), float(settings.jwt_jwks_cache_seconds), float(settings.jwt_jwks_min_refresh_seconds)
    )


def _remote_key(settings: Settings, kid: object) -> Any:
    client = _remote_keys(settings)
    try:
        if kid is None:
            keys = client.get_signing_keys()
            if len(keys) == 1:
                return keys[0].key
            raise Unauthenticated(f"the token has no 'kid' header, so it names none of the {len(keys)} published keys")
        return client.get_signing_key(str(kid)).key
    except jwt.PyJWKClientConnectionError as exc:
        raise Unavailable(f"the identity provider's keys at JWT_JWKS_URL cannot be fetched now: {exc}") from None
    except jwt.PyJWKClientError:
        raise Unauthenticated(f"the token's key id {kid!r} is not among the published keys; {_SIGN_IN}") from None


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
    claims: dict[str, Any] = {"iat": issued, "exp": issued + ttl, "iss": settings.jwt_issuer}
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    _put(claims, settings.jwt_subject_claim, viewer.subject)
    _put(claims, settings.jwt_role_claim, viewer.role.value)
    if viewer.scope_id:
        _put(claims, settings.jwt_scope_claim, viewer.scope_id)
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


def _put(claims: dict[str, Any], path: str, value: str) -> None:
    """Sets a (dotted) claim; a role claim path ending in `roles` holds a list, as Keycloak's does."""
    *parents, last = path.split(".")
    target = claims
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = [value] if last == "roles" else value


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
