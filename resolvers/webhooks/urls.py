"""Which callback URLs a webhook may have, and where a delivery may connect.

Only `http` and `https`, with a host, no user name or password in the URL, at most 2,000 characters.
In production (`MINHU_WEBHOOK_ALLOW_PRIVATE` false, the default) the host must be public: an address
that is loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16, where cloud
metadata answers), shared, reserved or multicast is refused, whether written in the URL or what its name
resolves to; otherwise a partner could make Minhu call into the network it runs in. The check is made
at registration and again at every delivery, and the delivery connects to the very address it checked
(the name is not resolved a second time by the client), so a name that later resolves elsewhere
(DNS rebinding) reaches nothing private. Tests (a receiver on 127.0.0.1) set it true.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from graph.kernel.errors import BadUserInput

MAX_URL = 2000
SCHEMES = ("http", "https")


@dataclass(frozen=True, slots=True)
class Target:
    """Where one delivery goes: the URL as registered, and the address it connects to."""

    url: str
    host: str
    address: str  # the checked IP address the connection is made to


def check(url: str) -> str:
    """The URL, if its form may be a webhook's (scheme, host, no credentials); BadUserInput otherwise."""
    text = (url or "").strip()
    if not text or len(text) > MAX_URL:
        raise BadUserInput(f"url must be 1 to {MAX_URL} characters", field="url", reason="LENGTH")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise BadUserInput(f"url {text!r} is not a URL: {exc}", field="url", reason="MALFORMED") from None
    if parts.scheme.lower() not in SCHEMES:
        raise BadUserInput(
            f"url must start with https:// (or http://), not {parts.scheme or 'nothing'}:",
            field="url",
            reason="SCHEME",
        )
    if not parts.hostname:
        raise BadUserInput(
            f"url {text!r} names no host, e.g. https://hooks.example.cn/minhu", field="url", reason="HOST"
        )
    if parts.username is not None or parts.password is not None:
        raise BadUserInput(
            "url must not carry a user name or password; the signature authenticates Minhu to you",
            field="url",
            reason="CREDENTIALS",
        )
    if parts.fragment:
        raise BadUserInput("url must not have a #fragment (it is never sent)", field="url", reason="FRAGMENT")
    if port == 0:
        raise BadUserInput("url's port must be 1 to 65535", field="url", reason="PORT")
    return text


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


async def resolve(url: str, allow_private: bool) -> Target:
    """Where `url` connects to; BadUserInput when its host resolves to nothing or, unless
    `allow_private`, to an address that is not public (every address it resolves to is checked)."""
    parts = urlsplit(check(url))
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise BadUserInput(f"url's host {host!r} does not resolve: {exc}", field="url", reason="UNRESOLVED") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise BadUserInput(f"url's host {host!r} does not resolve", field="url", reason="UNRESOLVED")
    if not allow_private:
        private = [a for a in addresses if _private(a)]
        if private:
            raise BadUserInput(
                f"url's host {host!r} is {', '.join(private)}, not a public address: webhooks go to the "
                "partner's public endpoint",
                field="url",
                reason="PRIVATE_ADDRESS",
            )
    return Target(url=parts.geturl(), host=host, address=addresses[0])
