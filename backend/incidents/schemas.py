"""The fields of a report (事项) as a phone writes them through sync."""

from __future__ import annotations

import marshmallow as ma

from backend.common.paging import PageArgs
from backend.common.schemas import Latitude, Longitude, sha256_hex
from backend.incidents import workflow

MAX_PHOTOS = 9
MAX_ACCURACY_M = 10_000  # a fix worse than 10 km says nothing about where the case is
MAX_FEEDBACK_NOTE = 500


class StrictBoolean(ma.fields.Boolean):
    """A JSON true or false: not "yes", 1 or "true", which marshmallow would take."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class ReportFields(ma.Schema):
    category = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))
    lat = Latitude(required=True)
    lon = Longitude(required=True)
    # How good the place is; optional, so phones from before these fields still report.
    # None: the phone had no fix (the pin was placed by hand on the map).
    accuracy_m = ma.fields.Float(allow_none=True, load_default=None, allow_nan=False,
                                 validate=ma.validate.Range(0, MAX_ACCURACY_M))
    location_adjusted = StrictBoolean(load_default=False)
    photos = ma.fields.List(sha256_hex(), load_default=list,
                            validate=ma.validate.Length(max=MAX_PHOTOS))
    # The result: of closing on the spot, or of handling a case dispatched back to the worker.
    after_photos = ma.fields.List(sha256_hex(), load_default=list,
                                  validate=ma.validate.Length(max=MAX_PHOTOS))
    reported_at = ma.fields.AwareDateTime(required=True, default_timezone=None)
    status = ma.fields.String(validate=ma.validate.OneOf(workflow.STATUSES))
    note = ma.fields.String(validate=ma.validate.Length(max=2000))
    # 结果反馈: the reporter's word once the case is finished (sync.py says who and when).
    satisfaction = ma.fields.String(validate=ma.validate.OneOf(workflow.SATISFACTION))
    satisfaction_note = ma.fields.String(validate=ma.validate.Length(max=MAX_FEEDBACK_NOTE))


# -- cases over HTTP -------------------------------------------------------------------------

class CaseListArgs(PageArgs):
    status = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(workflow.STATUSES)),
                            metadata={"description": "One or more statuses (repeat the parameter)."})
    overdue = ma.fields.Boolean(metadata={"description": "Open and past the deadline (or not)."})
    region_id = ma.fields.UUID(metadata={"description": "Cases in this region's subtree."})
    category = ma.fields.String(validate=ma.validate.Length(min=1, max=64), metadata={
        "description": "A category code, or a main class (road) for all its categories."})
    department_id = ma.fields.UUID(metadata={"description": "Dispatched to this department."})
    q = ma.fields.String(validate=ma.validate.Length(min=1, max=40),
                         metadata={"description": "Part of the case code."})


class CaseOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    code = ma.fields.String(allow_none=True, required=True)
    status = ma.fields.String(required=True)
    category = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    grid_id = ma.fields.UUID(allow_none=True, required=True)
    lat = ma.fields.Float(required=True)
    lon = ma.fields.Float(required=True)
    photos = ma.fields.List(ma.fields.String(), required=True)
    after_photos = ma.fields.List(ma.fields.String(), required=True)
    reported_at = ma.fields.DateTime(required=True)
    deadline_at = ma.fields.DateTime(allow_none=True, required=True)
    overdue = ma.fields.Boolean(required=True)
    due_soon = ma.fields.Boolean(required=True, metadata={
        "description": "Open and within DUE_SOON_WORKING_H working hours of its deadline (临期)."})
    step = ma.fields.String(allow_none=True, required=True, metadata={
        "description": "The step the case waits at: register, dispatch, handle, verify, "
                       "close (null once finished)."})
    step_deadline_at = ma.fields.DateTime(allow_none=True, required=True, metadata={
        "description": "When that step must be done: its own limit in working hours, "
                       "counted from when the case reached it."})
    step_overdue = ma.fields.Boolean(required=True, metadata={
        "description": "Open and past its step's deadline."})
    reporter_id = ma.fields.UUID(required=True)
    tier = ma.fields.String(required=True, metadata={
        "description": "Who handles it: the street, or the district once escalated."})
    department_id = ma.fields.UUID(allow_none=True, required=True)
    assignee_id = ma.fields.UUID(allow_none=True, required=True, metadata={
        "description": "The grid worker it is dispatched back to (网格微循环)."})
    closed_at = ma.fields.DateTime(allow_none=True, required=True)
    overdue_at = ma.fields.DateTime(allow_none=True, required=True, metadata={
        "description": "When the overdue job found it past its deadline (and told who acts)."})
    satisfaction = ma.fields.String(allow_none=True, required=True, metadata={
        "description": "The reporter's feedback on the result (结果反馈): satisfied, "
                       "unsatisfied, or null until given."})
    satisfaction_note = ma.fields.String(required=True)
    merged_into_id = ma.fields.UUID(allow_none=True, required=True, metadata={
        "description": "A merged report (status merged): the case it repeats; its reporter "
                       "follows that case."})
    version = ma.fields.Integer(required=True)
    actions = ma.fields.List(ma.fields.String(), required=True, metadata={
        "description": "What the caller may do with it now (the console's buttons)."})


class CaseDetailOut(CaseOut):
    timeline = ma.fields.List(ma.fields.Dict(), required=True, metadata={
        "description": "What happened, oldest first: {at, event, action, from, status, by, "
                       "by_name, role, note, photos, lat, lon, department_id, assignee_id}."})
    merged_into_code = ma.fields.String(allow_none=True, required=True, metadata={
        "description": "A merged report: the code of the case it was merged into."})
    possible_duplicates = ma.fields.List(ma.fields.Nested(lambda: DuplicateOut()), required=True,
                                         metadata={"description": (
                                             "A reported case the caller may merge: open cases "
                                             "of its category within DUPLICATE_RADIUS_M metres "
                                             "and DUPLICATE_WINDOW_H hours, nearest first.")})


class DuplicateOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    code = ma.fields.String(allow_none=True, required=True)
    status = ma.fields.String(required=True)
    distance_m = ma.fields.Float(required=True)
    reported_at = ma.fields.DateTime(required=True)


class CaseBulkActionIn(ma.Schema):
    ids = ma.fields.List(ma.fields.UUID(), required=True,
                         validate=ma.validate.Length(min=1, max=200),
                         metadata={"description": "The cases (1–200; repeats count once)."})
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(("register", "dispatch")))
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))
    department_id = ma.fields.UUID(allow_none=True, load_default=None,
                                   metadata={"description": "dispatch: to this department."})
    worker_id = ma.fields.UUID(allow_none=True, load_default=None, metadata={
        "description": "dispatch: back to this grid worker (of each case's grid)."})


class CaseBulkOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CaseOut), required=True,
                           metadata={"description": "The cases as they now are, in the "
                                                    "order asked."})


class CaseActionIn(ma.Schema):
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(list(workflow.ACTIONS)))
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))
    photos = ma.fields.List(sha256_hex(), load_default=list,
                            validate=ma.validate.Length(max=MAX_PHOTOS),
                            metadata={"description": "\"After\" photos (sha256 of uploaded blobs)."})
    department_id = ma.fields.UUID(allow_none=True, load_default=None,
                                   metadata={"description": "dispatch: to this department."})
    worker_id = ma.fields.UUID(allow_none=True, load_default=None,
                               metadata={"description": "dispatch: back to this grid worker."})
    target_id = ma.fields.UUID(allow_none=True, load_default=None, metadata={
        "description": "merge: the open case (same category) this report repeats."})
    lat = Latitude(allow_none=True, load_default=None,
                   metadata={"description": "Where the action was taken (optional)."})
    lon = Longitude(allow_none=True, load_default=None)


class CaseFeedbackIn(ma.Schema):
    satisfaction = ma.fields.String(required=True,
                                    validate=ma.validate.OneOf(workflow.SATISFACTION))
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=MAX_FEEDBACK_NOTE),
                            metadata={"description": "Optional: why (满意 or 不满意)."})
