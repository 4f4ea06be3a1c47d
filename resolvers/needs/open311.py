"""Open311 GeoReport v2 in Minhu's terms: services are categories, a service request is a need.

The door (server/open311.py) parses HTTP and formats XML or JSON; this module translates: a POST
becomes the same `submitNeed` mutation GraphQL runs (resolvers/needs/intake.py), acting for the
partner's API key (resolvers/accounts/apikeys.py) with channel OPEN311; a GET reads needs and
shapes them as the spec's fields. Requester contacts appear only to a caller with a key, masked as
GraphQL masks them (resolvers/needs/intake.py `requesters_for`). Errors are DomainErrors; the
door turns them into the spec's error list with HTTP codes.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import orjson
from pydantic import Field

from graph.kernel.db import Graph, Tx
from graph.kernel.errors import BadUserInput, Conflict, NotFound
from graph.kernel.ids import label_of
from graph.needs import open311 as rows
from graph.needs.kinds import OPEN_STATES, Channel, NeedStatus, Urgency
from graph.places.scopes import places_within
from matching.time_windows import XIAN_TZ
from resolvers.accounts.apikeys import viewer_for
from resolvers.kernel.authz import require_role
from resolvers.kernel.context import Context
from resolvers.kernel.mutations import Outbox, Result, mutation
from resolvers.kernel.validation import Form, id_of, validate
from resolvers.kernel.viewer import PLACE_ROLES, Role, Viewer
from resolvers.needs import suggest
from resolvers.needs.deadlines import limits_for
from resolvers.needs.forms import SubmitNeed
from resolvers.needs.intake import file_need, requesters_for, submit_need

JURISDICTION = "xian"
MAX_RESULTS = 1000
MAX_SPAN = timedelta(days=90)
# Said back to the partner when a request leaves no way to reach the resident.
NO_CALLBACK = "未留电话或邮箱：社区无法回访，处理结果请通过本渠道查询"
# A point further than this from every compound and community is not placed (send address_id).
PLACE_RADIUS_M = 1500.0

# Service groups (the spec's `group`): how a hotline menu gathers the categories.
GROUPS = {
    "DISPUTE_MEDIATION": "矛盾纠纷",
    "NOISE": "矛盾纠纷",
    "SEWER": "市政设施",
    "SEWER_RENOVATION": "市政设施",
    "PARKING_CHARGING": "市政设施",
    "PROPERTY": "物业管理",
    "ELDERLY_CARE": "民生服务",
    "CHILDCARE": "民生服务",
    "HEALTH": "民生服务",
    "CONDOLENCE": "民生服务",
    "HOBBY": "文化就业",
    "JOB_TRAINING": "文化就业",
}
STATUS_NOTES = {
    NeedStatus.SUBMITTED: "已受理，等待社区派单",
    NeedStatus.DISPATCHED: "已派单，等待承接",
    NeedStatus.ACCEPTED: "已接单",
    NeedStatus.IN_PROGRESS: "正在办理",
    NeedStatus.COMPLETED: "已办结，等待评价",
    NeedStatus.EVALUATED: "已办结并评价",
    NeedStatus.DECLINED: "承接方已退回，社区重新派单",
    NeedStatus.ESCALATED: "已上报上级协调办理",
    NeedStatus.SUSPENDED: "暂缓办理",
    NeedStatus.CANCELLED: "已撤销",
    NeedStatus.REOPENED: "居民反馈未解决，已重新办理",
}
# The attributes every service takes (the spec's service definition), beyond the core fields.
ATTRIBUTES: list[dict[str, Any]] = [
    {
        "variable": True,
        "code": "urgency",
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": "How urgent it is; NORMAL when left out.",
        "order": 1,
        "description": "紧急程度",
        "values": [{"key": u.value, "name": n} for u, n in zip(Urgency, ("不急", "一般", "较急", "紧急"), strict=True)],
    },
    {
        "variable": True,
        "code": "people_needed",
        "datatype": "number",
        "required": False,
        "datatype_description": "How many helpers it takes, 1 to 100; 1 when left out.",
        "order": 2,
        "description": "所需人数",
        "values": [],
    },
    {
        "variable": True,
        "code": "title",
        "datatype": "string",
        "required": False,
        "datatype_description": "A short title, 2 to 100 characters; the description's start when left out.",
        "order": 3,
        "description": "标题",
        "values": [],
    },
]
_ATTRIBUTE = re.compile(r"^attribute\[(.+)\]$")


def _keywords(description: str | None) -> str:
    return ",".join(part for part in re.split(r"[、，,。]", description or "") if part)


async def services(graph: Graph) -> list[dict[str, Any]]:
    return [
        {
            "service_code": k["code"],
            "service_name": k["name"],
            "description": k["description"] or "",
            "metadata": True,
            "type": "realtime",
            "keywords": _keywords(k["description"]),
            "group": GROUPS.get(k["code"], "其他"),
        }
        for k in await rows.categories(graph)
    ]


async def service_definition(graph: Graph, code: str) -> dict[str, Any]:
    if code not in {k["code"] for k in await rows.categories(graph)}:
        raise NotFound(f"no service {code!r}; GET services lists the service codes", field="service_code")
    return {"service_code": code, "attributes": ATTRIBUTES}


def check_jurisdiction(params: dict[str, str]) -> None:
    given = params.get("jurisdiction_id")
    if given not in (None, "", JURISDICTION):
        raise NotFound(f"jurisdiction_id {given!r} is not served here; this endpoint serves {JURISDICTION!r}")


# --- POST requests -----------------------------------------------------------------------------


def _float(params: dict[str, str], name: str) -> float | None:
    text = (params.get(name) or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise BadUserInput(f"{name} {text!r} is not a number (decimal degrees, WGS84)", field=name) from None


class Unplaced(BadUserInput):
    """Where the request is was said, but matches no compound or community: kept for an operator."""


async def _place(graph: Graph, params: dict[str, str], district_id: str | None) -> tuple[str, str]:
    """(place id, how it was placed) from address_id, lat/long or address_string, in that order."""
    address_id = (params.get("address_id") or "").strip()
    if address_id:
        if re.fullmatch(r"\d{12}", address_id):
            address_id = f"community:{address_id}"
        label_of(address_id, expected=("Compound", "Community"), field="address_id")
        return address_id, "address_id"
    lat, lon = _float(params, "lat"), _float(params, "long")
    if (lat is None) != (lon is None):
        raise BadUserInput("send both lat and long, or neither", field="lat")
    if lat is not None and lon is not None:
        found = await rows.nearest_place(graph, lat, lon, PLACE_RADIUS_M)
        if found is None:
            raise Unplaced(
                f"no compound or community lies within {PLACE_RADIUS_M:.0f} m of ({lat}, {lon}); "
                "send address_id (a compound or community id) or an address_string naming it",
                field="lat",
            )
        return found["id"], f"{found['metres']:.0f} m from the point"
    address = (params.get("address_string") or "").strip()
    if address:
        model = await suggest.model_for(graph)
        guesses = model.places(address, district_id, 1)
        if not guesses:
            raise Unplaced(
                f"address_string {address!r} names no compound or community we know; send lat/long or address_id",
                field="address_string",
            )
        return guesses[0].id, f"named as {guesses[0].matched!r}"
    raise BadUserInput(
        "say where: lat and long, an address_string, or an address_id (a compound or community id)",
        field="lat",
    )


def _attributes(params: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    unknown = []
    codes = {a["code"] for a in ATTRIBUTES}
    for name, value in params.items():
        match = _ATTRIBUTE.match(name)
        if match:
            if match.group(1) not in codes:
                unknown.append(match.group(1))
            out[match.group(1)] = value.strip()
    if unknown:
        raise BadUserInput(
            f"unknown attribute(s) {', '.join(sorted(unknown))}; the attributes are {', '.join(sorted(codes))}",
            field="attribute",
        )
    return out


def _title(attributes: dict[str, str], description: str, service_name: str) -> str:
    if attributes.get("title"):
        return attributes["title"]
    first = re.split(r"[。！？!?\n]", description, maxsplit=1)[0].strip()
    if len(first) >= 2:
        return first[:40]
    return service_name


async def post_request(graph: Graph, params: dict[str, str]) -> dict[str, Any]:
    """Files the request as a need (channel OPEN311) for the key's partner; the spec's answer."""
    check_jurisdiction(params)
    viewer = await viewer_for(graph, params.get("api_key"))
    description = (params.get("description") or "").strip()
    code = (params.get("service_code") or "").strip()
    notice = []
    catalogue = {k["code"]: k["name"] for k in await rows.categories(graph)}
    district = viewer.scope_id if viewer.scope_id and viewer.scope_id.startswith("district:") else None
    if not code:
        if not description:
            raise BadUserInput("service_code is required (or a description to suggest one from)", field="service_code")
        guesses = (await suggest.suggest(graph, description, district, 1)).categories
        code = guesses[0].code
        notice.append(f"service_code {code} suggested from the description ({guesses[0].confidence:.0%})")
    elif code not in catalogue:
        raise BadUserInput(f"service_code {code!r} is not a service; GET services lists them", field="service_code")
    # GeoReport v2 makes every contact optional: a request without one is filed all the same, and the
    # need says the community cannot call back (`canCallBack`), so the coordinator answers through the partner.
    phone = (params.get("phone") or "").strip() or None
    email = (params.get("email") or "").strip() or None
    if phone is None and email is None:
        notice.append(NO_CALLBACK)
    attributes = _attributes(params)
    name = "".join(part for part in (params.get("last_name"), params.get("first_name")) if part).strip()
    data: dict[str, Any] = {
        "title": _title(attributes, description, catalogue.get(code, code)),
        "description": description,
        "category_code": code,
        "channel": Channel.OPEN311.value,
        "resident": {
            "name": name or "来电居民",
            "phone": phone,
            "email": email,
            "address": (params.get("address_string") or "").strip(),
        },
    }
    if attributes.get("urgency"):
        data["urgency"] = attributes["urgency"].upper()
    if attributes.get("people_needed"):
        data["people_needed"] = attributes["people_needed"]
    if (params.get("media_url") or "").strip():
        data["media_url"] = params["media_url"].strip()
    try:
        place_id, how = await _place(graph, params, district)
    except Unplaced as exc:
        # The spec's token flow: answered at once with a token; an operator places it, then
        # GET tokens/{token} gives the service_request_id.
        data["resident"]["address"] = data["resident"]["address"] or "（待人工定位）"
        validate(SubmitNeed, {**data, "place_id": "community:000000000000"}, prefix="")  # refuse bad fields now
        token = secrets.token_urlsafe(12)
        note = "; ".join([f"未能自动定位，已转人工定位：{exc.message}", *notice])
        await rows.save_pending(graph, token, orjson.dumps(data).decode(), viewer.scope_id, note, viewer.subject)
        return {"token": token, "service_notice": note, "account_id": None}
    data["place_id"] = place_id
    data["resident"]["address"] = data["resident"]["address"] or f"({how})"
    ctx = Context(graph=graph, authenticate=lambda _header: viewer)
    result = await submit_need(ctx, data)
    notice.insert(0, f"已受理，编号 {result['number']}")
    return {"service_request_id": result["needId"], "service_notice": "; ".join(notice), "account_id": None}


async def token_status(graph: Graph, token: str) -> dict[str, Any]:
    """GET tokens/{token}: the service_request_id once an operator has placed the request, else null."""
    found = await rows.pending(graph, token)
    if found is None:
        raise NotFound(f"no request was answered with token {token!r}", field="token")
    return {"token": token, "service_request_id": found["needId"]}


class PlaceRequest(Form):
    token: str = Field(min_length=8, max_length=64)
    place_id: Annotated[str, id_of("Compound", "Community")]


@mutation("placeOpen311Request", roles=PLACE_ROLES, form=PlaceRequest)
async def place_request(tx: Tx, viewer: Viewer, form: PlaceRequest, outbox: Outbox) -> Result:
    """An operator places a request the door could not: the need is filed as POST would have filed it."""
    found = await rows.locked_pending(tx, form.token)
    if found is None:
        raise NotFound(f"no unplaced request with token {form.token!r}", field="token")
    if found["needId"]:
        raise Conflict(f"request {form.token} was placed already, as {found['needId']}", needId=found["needId"])
    data = {**orjson.loads(found["data"]), "place_id": form.place_id}
    form_data = validate(SubmitNeed, data, prefix="input.")
    return await file_need(tx, viewer, form_data, outbox, placed_from=rows.pending_id(form.token))


@dataclass(frozen=True)
class UnplacedRequest:
    token: str
    service_code: str
    title: str
    description: str
    address_string: str
    scope_id: str | None
    notice: str
    created_at: Any


async def unplaced_requests(ctx: Context, first: int) -> list[UnplacedRequest]:
    """Requests waiting for an operator, oldest first: CITY_ADMIN all; others those their partner's key
    scope lies within their own."""
    viewer = require_role(ctx.viewer, *PLACE_ROLES)
    if not 1 <= first <= 100:
        raise BadUserInput("first must be from 1 to 100", field="first")
    found = await rows.unplaced(ctx.graph, None, 500)
    if viewer.role is not Role.CITY_ADMIN:
        assert viewer.scope_id is not None
        scopes = [r["scopeId"] for r in found if r["scopeId"]]
        inside = await places_within(ctx.graph, scopes, viewer.scope_id) if scopes else set()
        found = [r for r in found if r["scopeId"] in inside]
    out = []
    for row in found[:first]:
        data = orjson.loads(row["data"])
        out.append(
            UnplacedRequest(
                token=row["token"],
                service_code=data["category_code"],
                title=data["title"],
                description=data["description"],
                address_string=data["resident"].get("address") or "",
                scope_id=row["scopeId"],
                notice=row["notice"],
                created_at=row["createdAt"],
            )
        )
    return out


# --- GET requests ------------------------------------------------------------------------------


def parse_datetime(text: str | None, name: str) -> datetime | None:
    """A W3C datetime (2026-12-01T00:00:00Z, or with an offset; without one, Xi'an time)."""
    if not text or not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadUserInput(f"{name} {text!r} is not a W3C datetime such as 2026-12-01T00:00:00Z", field=name) from None
    return moment.replace(tzinfo=XIAN_TZ) if moment.tzinfo is None else moment


def _w3c(value: Any) -> str | None:
    if value is None:
        return None
    native = value.to_native() if hasattr(value, "to_native") else value
    return native.astimezone(XIAN_TZ).isoformat(timespec="seconds")


def _list(params: dict[str, str], name: str) -> list[str] | None:
    items = [part.strip() for part in (params.get(name) or "").split(",") if part.strip()]
    return items or None


def _statuses(given: list[str] | None) -> list[str] | None:
    if given is None:
        return None
    wrong = [s for s in given if s not in ("open", "closed")]
    if wrong:
        raise BadUserInput(f"status {', '.join(wrong)} is not open or closed", field="status")
    closed = set(NeedStatus) - OPEN_STATES
    wanted: set[str] = set()
    if "open" in given:
        wanted |= {s.value for s in OPEN_STATES}
    if "closed" in given:
        wanted |= {s.value for s in closed}
    return sorted(wanted)


def _agency(row: dict[str, Any]) -> str:
    """Who answers for it: the handler's unit, else whoever holds it at its level."""
    handlers = sorted(
        row["handlers"] or [],
        key=lambda h: (h["rank"], -(h["at"].to_native().timestamp() if h["at"] else 0)),
    )
    if handlers and handlers[0]["unit"]:
        return handlers[0]["unit"]
    by_level = {"STREET": row["street"], "DISTRICT": row["district"]}
    return by_level.get(row["level"]) or row["community"] or row["district"]


def _shape(row: dict[str, Any], contact: Any | None, with_contact: bool) -> dict[str, Any]:
    expected = row["completionDeadline"]
    expected_text = _w3c(expected)
    if expected is None and row["status"] in OPEN_STATES:
        created = row["createdAt"].to_native()
        expected_text = _w3c(created + limits_for(row["categoryCode"], row["urgency"] or "NORMAL").complete)
    address = "".join(p for p in ("西安市", row["district"], row["street"], row["community"], row["compound"]) if p)
    out = {
        "service_request_id": row["id"],
        "status": "open" if row["status"] in OPEN_STATES else "closed",
        "status_notes": f"{STATUS_NOTES.get(row['status'], row['status'])} ({row['status']})",
        "service_name": row["categoryName"],
        "service_code": row["categoryCode"],
        "description": row["description"] or row["title"],
        "agency_responsible": _agency(row),
        "service_notice": row["number"],
        "requested_datetime": _w3c(row["createdAt"]),
        "updated_datetime": _w3c(row["updatedAt"] or row["createdAt"]),
        "expected_datetime": expected_text,
        "address": address,
        "address_id": row["placeId"],
        "zipcode": None,
        "lat": row["latitude"],
        "long": row["longitude"],
        "media_url": row["mediaUrl"],
    }
    if with_contact:
        out["contact_name"] = getattr(contact, "name", None)
        out["contact_phone"] = getattr(contact, "phone", None)
        out["contact_email"] = getattr(contact, "email", None)
    return out


async def get_requests(
    graph: Graph, params: dict[str, str], now: datetime | None = None, one: str | None = None
) -> list[dict[str, Any]]:
    """The spec's GET requests (or GET requests/{id} with `one`): by ids, else by service codes, dates
    (the last 90 days by default, spans of at most 90 days) and status; newest first, at most 1000."""
    check_jurisdiction(params)
    now = now or datetime.now(UTC)
    ids = [one] if one else _list(params, "service_request_id")
    start = parse_datetime(params.get("start_date"), "start_date")
    end = parse_datetime(params.get("end_date"), "end_date")
    if start and end and end < start:
        raise BadUserInput("end_date is before start_date", field="end_date")
    if ids is None:
        if start is None and end is None:
            start = now - MAX_SPAN
        elif start is None and end is not None:
            start = end - MAX_SPAN
        elif end is None and start is not None:
            end = start + MAX_SPAN
        if start and end and end - start > MAX_SPAN:
            raise BadUserInput("start_date to end_date may span at most 90 days", field="end_date")
    found = await rows.requests(
        graph,
        ids=ids,
        codes=None if ids else _list(params, "service_code"),
        start=None if ids else start,
        end=None if ids else end,
        statuses=None if ids else _statuses(_list(params, "status")),
        limit=MAX_RESULTS,
    )
    if one and not found:
        raise NotFound(f"no service request {one!r}", field="service_request_id")
    with_contact = bool(params.get("api_key"))
    contacts: list[Any] = [None] * len(found)
    if with_contact:
        viewer = await viewer_for(graph, params.get("api_key"))
        ctx = Context(graph=graph, authenticate=lambda _header: viewer)
        contacts = await requesters_for(ctx, [row["id"] for row in found])
    return [_shape(row, contact, with_contact) for row, contact in zip(found, contacts, strict=True)]
