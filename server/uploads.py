"""`POST /import/{units|members|venues}`: a roster uploaded as multipart/form-data (field `file`), imported
for the signed-in viewer (a JWT, as for GraphQL) with the same code as `minhu import` (docs/IMPORT.md).

Answers 200 with the report `{created, updated, unchanged, rejected: [{line, reason}]}` (rejected rows
do not fail the upload: they are the report), 400 for a request that is not an upload of a CSV file,
401 without a valid token, 403 for a role that registers no such records.
"""

from __future__ import annotations

import io

from starlette.requests import Request
from starlette.responses import JSONResponse

from graph.kernel.db import Graph
from graph.kernel.errors import DomainError
from resolvers.kernel.viewer import Role
from resolvers.partners.roster_import import KINDS, decode_upload, import_text
from server.auth import viewer_from_header
from server.settings import Settings

# Who may upload each roster: the roles of the mutation a row stands for. Rows are then authorised
# one by one on the graph's facts (a unit admin's members must belong to their unit).
UPLOADERS = {
    "units": (Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.COORDINATOR),
    "members": (Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.COORDINATOR, Role.UNIT_ADMIN),
    "venues": (Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.COORDINATOR, Role.UNIT_ADMIN),
}
_STATUS = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403, "BAD_USER_INPUT": 400, "NOT_FOUND": 404}


def _error(code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=_STATUS.get(code, 503))


def roster_upload(graph: Graph, settings: Settings):
    async def upload(request: Request) -> JSONResponse:
        kind = request.path_params["kind"]
        if kind not in KINDS:
            where = ", ".join(f"/import/{name}" for name in KINDS)
            return _error("NOT_FOUND", f"no roster {kind!r}: upload to one of {where}")
        try:
            viewer = viewer_from_header(request.headers.get("authorization"), settings)
        except DomainError as exc:
            return _error(exc.code, exc.message)
        if viewer is None:
            return _error("UNAUTHENTICATED", "sign in: send `Authorization: Bearer <token>`")
        if viewer.role not in UPLOADERS[kind]:
            allowed = ", ".join(role.value for role in UPLOADERS[kind])
            return _error("FORBIDDEN", f"importing {kind} is for {allowed}; you are signed in as {viewer.role.value}")
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return _error("BAD_USER_INPUT", "send the roster as multipart/form-data with the CSV in the field `file`")
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            return _error("BAD_USER_INPUT", "the upload has no file field `file`; attach the CSV as `file=@roster.csv`")
        data = await upload.read()
        try:
            text = decode_upload(data)
            report = await import_text(graph, kind, text, upload.filename or "upload", out=io.StringIO(), viewer=viewer)
        except DomainError as exc:
            return _error(exc.code, exc.message)
        return JSONResponse({"kind": kind, **report.as_dict()})

    return upload
