"""The request log line: one JSON object per HTTP request, with the request id echoed back.

The id comes from `X-Request-ID` when the caller (or a proxy) sends a sensible one, else it is
made here; it is returned in the same header and appears in every log record of the request.
Health probes and metric scrapes are logged at DEBUG, everything else at INFO — or ERROR when the
request met an INTERNAL_SERVER_ERROR or UNAVAILABLE, the two codes that are ours to fix.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.kernel.db import begin_statement_log, statements_in_this_request
from server.observability import SERVER_FAULTS, Metrics, RequestInfo, set_current_request

log = logging.getLogger("minhu.request")

_GOOD_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")
_QUIET_PATHS = ("/health", "/metrics")


def request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1").strip()
            if _GOOD_ID.match(text):
                return text
    return uuid.uuid4().hex


class RequestLog:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        client = scope.get("client")
        info = RequestInfo(
            request_id=rid, method=scope["method"], path=scope["path"], client=client[0] if client else None
        )
        set_current_request(info)
        # The GraphQL operation starts a log of its own (resolvers/kernel/statements.py) in this
        # same context; this one counts for requests that never reach an operation.
        begin_statement_log()
        status = {"code": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            info.note_errors(["INTERNAL_SERVER_ERROR"])
            log.exception("request failed", extra={"request_id": rid})
            raise
        finally:
            duration_ms = round((time.perf_counter() - info.started) * 1000, 2)
            statements = statements_in_this_request()
            self.metrics.observe_request(info, statements)
            if any(info.path.startswith(p) for p in _QUIET_PATHS) and status["code"] < 500:
                level = logging.DEBUG
            elif any(code in SERVER_FAULTS for code in info.error_codes) or status["code"] >= 500:
                level = logging.ERROR
            else:
                level = logging.INFO
            log.log(
                level,
                "%s %s %s",
                info.method,
                info.path,
                status["code"],
                extra={
                    "request_id": rid,
                    "status": status["code"],
                    "duration_ms": duration_ms,
                    "operation": info.operation,
                    "operation_type": info.operation_type,
                    "role": info.role,
                    "subject": info.subject,
                    "statements": statements,
                    "error_codes": info.error_codes,
                    "client": info.client,
                },
            )
            set_current_request(None)
