"""The service hall over HTTP, the window clerk's side (窗口叫号): their window, calling,
recalling, no-shows, transfers, finishing, pausing. Clerks only, each at their own window."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from backend.common.auth import CLERK, auth_required, current_user
from backend.extensions import Blueprint
from backend.queue import clerk_schemas as schemas
from backend.queue import windows

windows_blp = Blueprint("windows", __name__, url_prefix="/api/v1/windows",
                        description="Hall windows: the clerk's own window and its calling.")
clerk_tickets_blp = Blueprint("clerk_tickets", __name__, url_prefix="/api/v1/tickets",
                              description="The clerk's work on a called ticket.")

NOT_YOURS = "`not_your_window`: another clerk's window."
NOT_YOUR_TICKET = "`not_your_ticket`: called by another clerk, or not called."
UNKNOWN_TICKET = "`ticket_not_found`."
NOT_CALLED = "`invalid_transition`: the ticket is not called now (details: current.status)."


@windows_blp.route("/mine")
class MyWindow(MethodView):
    @auth_required(CLERK)
    @windows_blp.response(200, schemas.WindowMineOut)
    @windows_blp.alt_response(404, description="`no_window`: the clerk is at no window.")
    def get(self):
        """The clerk's window: its state, the ticket at it, its queues, today's figures."""
        return windows.window_view(windows.my_window(current_user()))


@windows_blp.route("/<uuid:window_id>/call")
class CallNext(MethodView):
    @auth_required(CLERK)
    @windows_blp.arguments(schemas.CallIn)
    @windows_blp.response(200, schemas.ClerkTicketOut)
    @windows_blp.alt_response(403, description=NOT_YOURS)
    @windows_blp.alt_response(404, description="`queue_empty`: nobody waits for this window; "
                                                "`window_not_found`.")
    @windows_blp.alt_response(409, description="`window_busy` (details: ticket_id, number): a "
                                                "ticket called here is not finished; "
                                                "`window_paused`, `window_closed`.")
    def post(self, _args, window_id: uuid.UUID):
        """叫号: call the next ticket of the window's services (booked ones first, then by
        waiting time), or one transferred to this window."""
        return windows.clerk_ticket_view(windows.call_next(current_user(), window_id))


@windows_blp.route("/<uuid:window_id>/pause")
class PauseWindow(MethodView):
    @auth_required(CLERK)
    @windows_blp.arguments(schemas.WindowStateIn)
    @windows_blp.response(200, schemas.WindowMineOut)
    @windows_blp.alt_response(403, description=NOT_YOURS)
    @windows_blp.alt_response(404, description="`window_not_found`.")
    def post(self, _args, window_id: uuid.UUID):
        """暂停: nothing is called at the window until it resumes."""
        return windows.window_view(windows.pause(current_user(), window_id))


@windows_blp.route("/<uuid:window_id>/resume")
class ResumeWindow(MethodView):
    @auth_required(CLERK)
    @windows_blp.arguments(schemas.WindowStateIn)
    @windows_blp.response(200, schemas.WindowMineOut)
    @windows_blp.alt_response(403, description=NOT_YOURS)
    @windows_blp.alt_response(404, description="`window_not_found`.")
    def post(self, _args, window_id: uuid.UUID):
        """恢复: the window calls again."""
        return windows.window_view(windows.resume(current_user(), window_id))


@clerk_tickets_blp.route("/<uuid:ticket_id>/recall")
class Recall(MethodView):
    @auth_required(CLERK)
    @clerk_tickets_blp.arguments(schemas.CallIn)
    @clerk_tickets_blp.response(200, schemas.ClerkTicketOut)
    @clerk_tickets_blp.alt_response(403, description=NOT_YOUR_TICKET)
    @clerk_tickets_blp.alt_response(404, description=UNKNOWN_TICKET)
    @clerk_tickets_blp.alt_response(409, description=NOT_CALLED)
    def post(self, _args, ticket_id: uuid.UUID):
        """重呼: call the ticket again (pushed to its holder again)."""
        return windows.clerk_ticket_view(windows.recall(current_user(), ticket_id))


@clerk_tickets_blp.route("/<uuid:ticket_id>/no-show")
class NoShow(MethodView):
    @auth_required(CLERK)
    @clerk_tickets_blp.arguments(schemas.CallIn)
    @clerk_tickets_blp.response(200, schemas.ClerkTicketOut)
    @clerk_tickets_blp.alt_response(403, description=NOT_YOUR_TICKET)
    @clerk_tickets_blp.alt_response(404, description=UNKNOWN_TICKET)
    @clerk_tickets_blp.alt_response(409, description="`recall_first`: recall it at least once "
                                                     "first; " + NOT_CALLED)
    def post(self, _args, ticket_id: uuid.UUID):
        """过号: the holder did not come after a recall."""
        return windows.clerk_ticket_view(windows.no_show(current_user(), ticket_id))


@clerk_tickets_blp.route("/<uuid:ticket_id>/transfer")
class Transfer(MethodView):
    @auth_required(CLERK)
    @clerk_tickets_blp.arguments(schemas.TransferIn)
    @clerk_tickets_blp.response(200, schemas.ClerkTicketOut)
    @clerk_tickets_blp.alt_response(403, description=NOT_YOUR_TICKET)
    @clerk_tickets_blp.alt_response(404, description="`ticket_not_found`; `service_not_found`, "
                                                     "`window_not_found`: not in this hall.")
    @clerk_tickets_blp.alt_response(409, description="`ticket_open`: the holder already has a "
                                                     "ticket for that service; " + NOT_CALLED)
    def post(self, args, ticket_id: uuid.UUID):
        """转移: back to waiting in its old place, for another service or one window."""
        return windows.clerk_ticket_view(windows.transfer(
            current_user(), ticket_id, service_id=args["service_id"], window_id=args["window_id"]))


@clerk_tickets_blp.route("/<uuid:ticket_id>/finish")
class Finish(MethodView):
    @auth_required(CLERK)
    @clerk_tickets_blp.arguments(schemas.CallIn)
    @clerk_tickets_blp.response(200, schemas.ClerkTicketOut)
    @clerk_tickets_blp.alt_response(403, description=NOT_YOUR_TICKET)
    @clerk_tickets_blp.alt_response(404, description=UNKNOWN_TICKET)
    @clerk_tickets_blp.alt_response(409, description=NOT_CALLED)
    def post(self, _args, ticket_id: uuid.UUID):
        """办结: the service is done (only the clerk who called it)."""
        return windows.clerk_ticket_view(windows.finish(current_user(), ticket_id))
