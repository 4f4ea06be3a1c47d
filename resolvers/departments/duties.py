"""Duty lists (清单): per level, which categories a community (or a street) handles itself (自治), helps with
(协助), and which may not be pushed onto it (负面清单), with the departments that answer for each. The city
keeps the default lists, a district its own (which then apply in it); every change is a new version naming
who made it, why and what changed (the audit trail), and the version in force decides routing and whistles.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from graph.departments import duties
from graph.departments.kinds import DUTY_LIST, DUTY_WORDS, Duty, DutyLevel
from graph.kernel.db import Tx
from graph.kernel.errors import Conflict, Forbidden
from graph.kernel.ids import new_id
from resolvers.departments.departments import Code
from resolvers.kernel.mutations import Outbox, Result, mutation
from resolvers.kernel.validation import Form, id_of, optional_text, required_text
from resolvers.kernel.viewer import Role, Viewer

MAX_ITEMS = 200
DepartmentId = Annotated[str, id_of("Department")]


class DutyLine(Form):
    """One line of a duty list: a category, what the level does with it, who answers for it."""

    category_code: Code = Field(description="The category of need (its code, e.g. GAS_SAFETY).")
    duty: Duty
    lead_department_id: DepartmentId | None = Field(
        default=None, description="The department that leads a whistle of it: required for 协助 and 负面 lines."
    )
    assisting_department_ids: Annotated[list[DepartmentId], Field(max_length=10)] = Field(
        default_factory=list, description="Departments that assist (联合处置)."
    )
    note: optional_text(200) = None

    @model_validator(mode="after")
    def departments_for_its_duty(self) -> DutyLine:
        if self.duty != Duty.SELF_GOVERNED and self.lead_department_id is None:
            raise ValueError(
                f"{self.category_code}: a {DUTY_WORDS[self.duty]} line names the department that leads "
                "(leadDepartmentId): it is whom the whistle goes to"
            )
        if self.duty == Duty.SELF_GOVERNED and (self.lead_department_id or self.assisting_department_ids):
            raise ValueError(f"{self.category_code}: a 自治清单 line is the level's own; it names no department")
        if self.lead_department_id in self.assisting_department_ids:
            raise ValueError(f"{self.category_code}: the lead department does not assist itself")
        return self


class ReviseDutyList(Form):
    district_id: Annotated[str, id_of("District")] | None = Field(
        default=None, description="The district whose own list it is; left out: the city's default list."
    )
    level: DutyLevel
    set_items: Annotated[list[DutyLine], Field(max_length=MAX_ITEMS)] = Field(
        default_factory=list, description="Lines added, or replacing the line of their category."
    )
    remove_category_codes: Annotated[list[Code], Field(max_length=MAX_ITEMS)] = Field(
        default_factory=list, description="Categories taken off the list."
    )
    reason: required_text("say why the list changes (it is kept with the version)", 200)
    base_version: int | None = Field(
        default=None, description="The version this change was made against: CONFLICT when another is in force now."
    )

    @model_validator(mode="after")
    def one_change_per_category(self) -> ReviseDutyList:
        codes = [line.category_code for line in self.set_items]
        twice = sorted(
            {code for code in codes if codes.count(code) > 1} | (set(codes) & set(self.remove_category_codes))
        )
        if twice:
            raise ValueError(f"each category changes once per revision: {', '.join(twice)} appear more than once")
        if not codes and not self.remove_category_codes:
            raise ValueError("reviseDutyList: nothing to change; send setItems or removeCategoryCodes")
        return self


def _authorise(viewer: Viewer, district_id: str | None) -> None:
    if viewer.role is Role.CITY_ADMIN:
        return
    if district_id is None or viewer.scope_id != district_id:
        whose = f"{district_id}'s list" if district_id else "the city's default list"
        raise Forbidden(
            f"{whose} is kept by {'its district admins or ' if district_id else ''}the city; "
            f"your scope is {viewer.scope_id}",
            scope=viewer.scope_id,
        )


def _line(line: dict[str, Any]) -> str:
    return f"{line['categoryCode']} {DUTY_WORDS[Duty(line['duty'])]}"


@mutation("reviseDutyList", roles=(Role.CITY_ADMIN, Role.DISTRICT_ADMIN), form=ReviseDutyList, returns=DUTY_LIST.label)
async def revise_duty_list(tx: Tx, viewer: Viewer, form: ReviseDutyList, outbox: Outbox) -> Result:
    """Change a duty list (清单): lines set or removed, with a reason; the result is a new version in force,
    the one before kept as history. District admins keep their district's lists, the city its default ones
    (a district without its own list follows the city's). CONFLICT when `baseVersion` is no longer in force."""
    _authorise(viewer, form.district_id)
    current = await duties.current_locked(tx, form.district_id, form.level)
    version = current["version"] or 0
    if form.base_version is not None and form.base_version != version:
        raise Conflict(
            f"the list changed meanwhile: version {version} is in force, not {form.base_version}; "
            "read it again and make your change on it",
            version=version,
        )
    old = {item["categoryCode"]: item for item in current["items"]}
    missing = sorted(set(form.remove_category_codes) - set(old))
    if missing:
        raise Conflict(
            f"removeCategoryCodes: {', '.join(missing)} not on version {version}", field="removeCategoryCodes"
        )
    items = {code: item for code, item in old.items() if code not in form.remove_category_codes}
    changes = [f"-{code}" for code in sorted(form.remove_category_codes)]
    for line in form.set_items:
        new = {
            "categoryCode": line.category_code,
            "duty": line.duty,
            "note": line.note,
            "leadId": line.lead_department_id,
            "assistingIds": list(line.assisting_department_ids),
        }
        before = old.get(line.category_code)
        if before is None:
            changes.append(f"+{_line(new)}")
        elif {**before, "duty": Duty(before["duty"])} != new:
            changes.append(
                f"~{_line(before)} → {DUTY_WORDS[line.duty]}" if before["duty"] != line.duty else f"~{_line(new)}"
            )
        items[line.category_code] = new
    list_id = new_id("dutylist")
    scope = form.district_id or "city"
    props = {
        "id": list_id,
        "key": f"{scope}:{form.level}:{version + 1}",
        "level": form.level,
        "version": version + 1,
        "reason": form.reason,
        "changes": "; ".join(changes) or "no line changed",
        "changedBy": viewer.subject,
        "districtId": form.district_id,
        "previousId": current["id"],
    }
    # Item ids carry their list's and their category: a list's items come in the order of their codes.
    key = list_id.removeprefix("dutylist:")
    rows = [{**item, "id": f"dutyitem:{key}-{code}"} for code, item in sorted(items.items())]
    await duties.write_version(tx, props, rows)
    return {"dutyListId": list_id}
