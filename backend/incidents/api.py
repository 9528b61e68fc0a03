"""Cases over HTTP: the command centre's and the departments' list, one case with its
timeline and the actions its reader may take, and taking one."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from backend.common.auth import SUPERVISOR, auth_required, current_user
from backend.common.paging import page_schema
from backend.extensions import Blueprint
from backend.incidents import cases, schemas

cases_blp = Blueprint("cases", __name__, url_prefix="/api/v1/cases",
                      description="Cases (案件): reports once received, worked through the loop "
                                  "上报 → 立案 → 派遣 → 处置 → 核查 → 结案.")


@cases_blp.route("")
class Cases(MethodView):
    @auth_required(*cases.CASE_READERS)
    @cases_blp.arguments(schemas.CaseListArgs, location="query")
    @cases_blp.response(200, page_schema(schemas.CaseOut))
    def get(self, args):
        """Cases in the caller's sight, newest first: a supervisor's or worker's region, a
        department's dispatched cases, one's own reports."""
        return cases.list_cases(current_user(), **args)


@cases_blp.route("/actions")
class CasesBulkActions(MethodView):
    @auth_required(SUPERVISOR)
    @cases_blp.arguments(schemas.CaseBulkActionIn)
    @cases_blp.response(200, schemas.CaseBulkOut)
    @cases_blp.alt_response(403, description="Some case's action is not the caller's "
                                             "(`forbidden_action`); `refused` lists each.")
    @cases_blp.alt_response(404, description="Some case is not in the caller's sight; "
                                             "`refused` lists each.")
    @cases_blp.alt_response(409, description="Some case's state forbids the action now "
                                             "(`invalid_transition`); `refused` lists each.")
    def post(self, args):
        """批量立案 / 批量派遣: register or dispatch up to 200 cases at once, all or nothing.
        Refused, nothing is written and `error.refused` lists each refused case with its
        status, code and message; the answer's status is the most basic of theirs (404,
        then 403, then 422, then 409)."""
        return cases.act_on_many(current_user(), **args)


@cases_blp.route("/<uuid:case_id>")
class CaseById(MethodView):
    @auth_required(*cases.CASE_READERS)
    @cases_blp.response(200, schemas.CaseDetailOut)
    def get(self, case_id: uuid.UUID):
        """One case with its timeline and the actions the caller may take now."""
        return cases.get_case(current_user(), case_id)


@cases_blp.route("/<uuid:case_id>/actions")
class CaseActions(MethodView):
    @auth_required(*cases.CASE_READERS)
    @cases_blp.arguments(schemas.CaseActionIn)
    @cases_blp.response(200, schemas.CaseDetailOut)
    @cases_blp.alt_response(403, description="The caller's role may not take this action "
                                             "(`forbidden_action`).")
    @cases_blp.alt_response(409, description="Not possible in the case's current state "
                                             "(`invalid_transition`, with `status`), or too "
                                             "late to reopen (`reopen_expired`), or the case "
                                             "to merge into is no longer open "
                                             "(`merge_target_not_open`).")
    def post(self, args, case_id: uuid.UUID):
        """Move the case: register, dispatch, handle, verify, send back, close… or merge a
        duplicate report into another open case of its category (`target_id`)."""
        return cases.act(current_user(), case_id, **args)


@cases_blp.route("/<uuid:case_id>/feedback")
class CaseFeedback(MethodView):
    @auth_required(*cases.CASE_READERS)
    @cases_blp.arguments(schemas.CaseFeedbackIn)
    @cases_blp.response(200, schemas.CaseDetailOut)
    @cases_blp.alt_response(403, description="Only the case's reporter gives feedback "
                                             "(`forbidden_action`).")
    @cases_blp.alt_response(409, description="The case is not closed or cancelled "
                                             "(`case_not_finished`), or feedback was already "
                                             "given (`feedback_given`).")
    def post(self, args, case_id: uuid.UUID):
        """结果反馈: the reporter says whether the result satisfies them, once per closing."""
        return cases.give_feedback(current_user(), case_id, **args)
