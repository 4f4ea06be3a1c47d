"""The Open311 GeoReport v2 door, under /open311/v2/ (docs/OPEN311.md): HTTP in, XML or JSON out.

A thin translation: each route parses the format from the path's extension and the parameters
(query string, or the form body of a POST), calls resolvers/needs/open311.py, and writes the answer
in the spec's shapes. Every error is the spec's error list (`[{code, description}]`, in XML
`<errors><error>…`) with its HTTP status: 400 bad or missing parameters, 403 a missing, unknown or
revoked api_key or a request outside the key's scope, 404 unknown service, request or jurisdiction.
"""

from __future__ import annotations

import logging
from typing import Any
from xml.sax.saxutils import escape

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from graph.kernel.db import Graph
from graph.kernel.errors import DomainError
from resolvers.needs import open311

log = logging.getLogger("minhu.open311")

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
_STATUS = {
    "BAD_USER_INPUT": 400,
    "UNAUTHENTICATED": 403,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "CONFLICT": 409,
    "UNAVAILABLE": 503,
}
# The element a list's items get in XML, by the list's own element.
_ITEM = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _xml_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def to_xml(tag: str, value: Any) -> str:
    if isinstance(value, list):
        item = _ITEM.get(tag, "item")
        return f"<{tag}>" + "".join(to_xml(item, v) for v in value) + f"</{tag}>"
    if isinstance(value, dict):
        return f"<{tag}>" + "".join(to_xml(k, v) for k, v in value.items()) + f"</{tag}>"
    return f"<{tag}>{_xml_value(value)}</{tag}>"


def _render(fmt: str, root: str, body: Any, status: int = 200) -> Response:
    if fmt == "xml":
        text = '<?xml version="1.0" encoding="utf-8"?>' + to_xml(root, body)
        return Response(text.encode(), status_code=status, media_type=FORMATS["xml"])
    return Response(orjson.dumps(body), status_code=status, media_type=FORMATS["json"])


def _error(fmt: str, status: int, description: str) -> Response:
    return _render(fmt, "errors", [{"code": status, "description": description}], status)


def _format(request: Request) -> str | None:
    fmt = request.path_params.get("fmt", "")
    return fmt if fmt in FORMATS else None


def door(handler: Any) -> Any:
    """Wraps a handler: the format check, and every DomainError as the spec's error list."""

    async def endpoint(request: Request) -> Response:
        fmt = _format(request)
        if fmt is None:
            return _error("json", 404, "end the path with .json or .xml (the response format)")
        try:
            return await handler(request, fmt)
        except DomainError as exc:
            return _error(fmt, _STATUS.get(exc.code, 500), exc.message)
        except Exception:
            log.exception("open311: unexpected failure")
            return _error(fmt, 500, "the server failed on this request; it is logged, try again later")

    return endpoint


async def _params(request: Request) -> dict[str, str]:
    params = dict(request.query_params)
    if request.method == "POST":
        form = await request.form()
        params.update({key: value for key, value in form.items() if isinstance(value, str)})
    return params


def routes(graph: Graph, base: str = "/open311/v2") -> list[Route]:
    async def discovery(request: Request, fmt: str) -> Response:
        root = str(request.base_url).rstrip("/") + base
        body = {
            "changeset": "2026-12-01T00:00:00+08:00",
            "contact": "西安市民呼平台 (Minhu); see docs/OPEN311.md",
            "key_service": "API keys are issued by the city: `minhu apikey create`",
            "endpoints": [
                {
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": root,
                    "changeset": "2026-12-01T00:00:00+08:00",
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        }
        return _render(fmt, "discovery", body)

    async def services(request: Request, fmt: str) -> Response:
        open311.check_jurisdiction(dict(request.query_params))
        return _render(fmt, "services", await open311.services(graph))

    async def service(request: Request, fmt: str) -> Response:
        open311.check_jurisdiction(dict(request.query_params))
        body = await open311.service_definition(graph, request.path_params["code"])
        return _render(fmt, "service_definition", body)

    async def requests(request: Request, fmt: str) -> Response:
        params = await _params(request)
        if request.method == "POST":
            created = await open311.post_request(graph, params)
            return _render(fmt, "service_requests", [created])
        return _render(fmt, "service_requests", await open311.get_requests(graph, params))

    async def one_request(request: Request, fmt: str) -> Response:
        params = dict(request.query_params)
        found = await open311.get_requests(graph, params, one=request.path_params["id"])
        return _render(fmt, "service_requests", found)

    async def token(request: Request, fmt: str) -> Response:
        found = await open311.token_status(graph, request.path_params["token"])
        return _render(fmt, "service_requests", [found])

    return [
        Route(f"{base}/discovery.{{fmt}}", door(discovery), methods=["GET"]),
        Route(f"{base}/tokens/{{token}}.{{fmt}}", door(token), methods=["GET"]),
        Route(f"{base}/services.{{fmt}}", door(services), methods=["GET"]),
        Route(f"{base}/services/{{code}}.{{fmt}}", door(service), methods=["GET"]),
        Route(f"{base}/requests.{{fmt}}", door(requests), methods=["GET", "POST"]),
        Route(f"{base}/requests/{{id}}.{{fmt}}", door(one_request), methods=["GET"]),
    ]
