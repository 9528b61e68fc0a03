"""The service hall's set-up over HTTP (administrators): halls, services, windows and the
clerks at them, managers; and appointments (预约): slots kept by administrators and the
hall's managers, booked by citizens."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from backend.common.auth import ADMIN, CITIZEN, HALL_MANAGER, ROLES, auth_required, current_user
from backend.extensions import Blueprint
from backend.queue import admin, appointments
from backend.queue import admin_schemas as schemas
from backend.queue.schemas import HallOut, ServiceOut
from backend.queue.tickets import hall_view

hall_admin_blp = Blueprint("hall_admin", __name__, url_prefix="/api/v1/halls",
                           description="Setting up service halls (administrators).")
services_blp = Blueprint("services", __name__, url_prefix="/api/v1/services",
                         description="A hall's services (administrators) and their booking "
                                     "slots.")
window_admin_blp = Blueprint("window_admin", __name__, url_prefix="/api/v1/windows",
                             description="A hall's windows and the clerk at each "
                                         "(administrators).")
appointments_blp = Blueprint("appointments", __name__, url_prefix="/api/v1",
                             description="Appointments (预约): slots and citizens' bookings.")

_HOURS_422 = "`invalid_opening_hours`: the hours are not weekday → sorted, non-overlapping " \
             "[from, to] periods (details: weekday)."


# -- halls ----------------------------------------------------------------------------------

@hall_admin_blp.route("")
class HallCreate(MethodView):
    @auth_required(ADMIN)
    @hall_admin_blp.arguments(schemas.HallIn)
    @hall_admin_blp.response(201, HallOut)
    @hall_admin_blp.alt_response(422, description=_HOURS_422)
    def post(self, args):
        """Add a hall (services and windows are added to it next); administrators only."""
        return hall_view(admin.create_hall(current_user(), args))


@hall_admin_blp.route("/<uuid:hall_id>")
class HallEdit(MethodView):
    @auth_required(ADMIN)
    @hall_admin_blp.arguments(schemas.HallPatchIn)
    @hall_admin_blp.response(200, HallOut)
    @hall_admin_blp.alt_response(422, description=_HOURS_422)
    def patch(self, args, hall_id: uuid.UUID):
        """Change a hall's name, place, fence, opening hours or alert thresholds."""
        return hall_view(admin.update_hall(current_user(), hall_id, args))


@hall_admin_blp.route("/<uuid:hall_id>/services")
class HallServices(MethodView):
    @auth_required(ADMIN)
    @hall_admin_blp.arguments(schemas.ServiceIn)
    @hall_admin_blp.response(201, ServiceOut)
    @hall_admin_blp.alt_response(409, description="`service_code_taken`: another service of "
                                                  "the hall uses the letters.")
    def post(self, args, hall_id: uuid.UUID):
        """Add a service to a hall; administrators only."""
        return admin.create_service(current_user(), hall_id, args)


@hall_admin_blp.route("/<uuid:hall_id>/windows")
class HallWindows(MethodView):
    @auth_required(ADMIN)
    @hall_admin_blp.response(200, schemas.WindowAdminOut(many=True))
    def get(self, hall_id: uuid.UUID):
        """A hall's windows with the services each handles and the clerk at it."""
        return admin.list_windows(hall_id)

    @auth_required(ADMIN)
    @hall_admin_blp.arguments(schemas.WindowIn)
    @hall_admin_blp.response(201, schemas.WindowAdminOut)
    @hall_admin_blp.alt_response(409, description="`window_number_taken`, or `clerk_busy`: the "
                                                  "clerk is serving a number at their window.")
    @hall_admin_blp.alt_response(422, description="`invalid_services` (none, or not this "
                                                  "hall's) or `not_a_clerk`.")
    def post(self, args, hall_id: uuid.UUID):
        """Add a window handling some of the hall's services, with its clerk (moved from any
        other window) or none."""
        return admin.window_view(admin.create_window(current_user(), hall_id, args))


@hall_admin_blp.route("/<uuid:hall_id>/managers")
class HallManagers(MethodView):
    @auth_required(ADMIN)
    @hall_admin_blp.response(200, schemas.PersonOut(many=True))
    def get(self, hall_id: uuid.UUID):
        """The hall's managers (大厅负责人)."""
        return admin.list_managers(hall_id)

    @auth_required(ADMIN)
    @hall_admin_blp.arguments(schemas.ManagersIn)
    @hall_admin_blp.response(200, schemas.PersonOut(many=True))
    @hall_admin_blp.alt_response(422, description="`not_a_manager`: an account without the "
                                                  "hall_manager role (details: user_ids).")
    def put(self, args, hall_id: uuid.UUID):
        """Make exactly these accounts the hall's managers."""
        return admin.set_managers(current_user(), hall_id, args["user_ids"])


# -- services -------------------------------------------------------------------------------

@services_blp.route("/<uuid:service_id>")
class ServiceEdit(MethodView):
    @auth_required(ADMIN)
    @services_blp.arguments(schemas.ServicePatchIn)
    @services_blp.response(200, ServiceOut)
    @services_blp.alt_response(409, description="`service_code_taken`.")
    def patch(self, args, service_id: uuid.UUID):
        """Change a service's letters, name, times, daily limit or order."""
        return admin.update_service(current_user(), service_id, args)

    @auth_required(ADMIN)
    @services_blp.response(204)
    @services_blp.alt_response(409, description="`service_in_use`: open numbers or bookings "
                                                "to come (details: open_tickets, booked).")
    def delete(self, service_id: uuid.UUID):
        """Remove a service (kept for its history; its windows stop handling it)."""
        admin.delete_service(current_user(), service_id)


@services_blp.route("/<uuid:service_id>/slots")
class ServiceSlots(MethodView):
    @auth_required(*ROLES)
    @services_blp.arguments(schemas.SlotListArgs, location="query")
    @services_blp.response(200, schemas.SlotListOut)
    def get(self, args, service_id: uuid.UUID):
        """A service's booking slots on a day with their free places; citizens see the ones
        still to come, with their own booking."""
        return {"items": appointments.list_slots(current_user(), service_id, args["day"])}

    @auth_required(ADMIN, HALL_MANAGER)
    @services_blp.arguments(schemas.SlotIn)
    @services_blp.response(201, schemas.SlotOut)
    @services_blp.alt_response(409, description="`slot_exists`: the service has a slot "
                                                "starting then.")
    def post(self, args, service_id: uuid.UUID):
        """Add a booking slot (administrators and the hall's managers)."""
        return appointments.slot_view(appointments.create_slot(current_user(), service_id,
                                                               **args))


# -- windows --------------------------------------------------------------------------------

@window_admin_blp.route("/<uuid:window_id>")
class WindowEdit(MethodView):
    @auth_required(ADMIN)
    @window_admin_blp.arguments(schemas.WindowPatchIn)
    @window_admin_blp.response(200, schemas.WindowAdminOut)
    @window_admin_blp.alt_response(409, description="`window_number_taken`; `window_in_use` (its clerk "
                                                    "leaving while a number is served there) or "
                                                    "`clerk_busy` (the clerk moved is serving one).")
    @window_admin_blp.alt_response(422, description="`invalid_services` or `not_a_clerk`.")
    def patch(self, args, window_id: uuid.UUID):
        """Change a window's number, label, services or clerk (null: nobody)."""
        return admin.window_view(admin.update_window(current_user(), window_id, args))

    @auth_required(ADMIN)
    @window_admin_blp.response(204)
    @window_admin_blp.alt_response(409, description="`window_in_use`: a number is being "
                                                    "served there; `window_staffed`: a clerk is "
                                                    "bound to it.")
    def delete(self, window_id: uuid.UUID):
        """Remove a window."""
        admin.delete_window(current_user(), window_id)


# -- slots and bookings ---------------------------------------------------------------------

@appointments_blp.route("/slots/<uuid:slot_id>")
class SlotById(MethodView):
    @auth_required(ADMIN, HALL_MANAGER)
    @appointments_blp.response(204)
    @appointments_blp.alt_response(409, description="`slot_booked`: citizens booked it.")
    def delete(self, slot_id: uuid.UUID):
        """Remove a slot nobody booked (administrators and the hall's managers)."""
        appointments.delete_slot(current_user(), slot_id)


@appointments_blp.route("/slots/<uuid:slot_id>/appointments")
class SlotBooking(MethodView):
    @auth_required(CITIZEN)
    @appointments_blp.arguments(schemas.BookIn)
    @appointments_blp.response(201, schemas.AppointmentOut)
    @appointments_blp.alt_response(409, description="`slot_full`, `already_booked` or "
                                                    "`slot_past`.")
    def post(self, _args, slot_id: uuid.UUID):
        """Book a place in a slot (citizens); a number taken during it goes first."""
        return appointments.appointment_view(appointments.book(current_user(), slot_id))


@appointments_blp.route("/appointments")
class OwnAppointments(MethodView):
    @auth_required(CITIZEN)
    @appointments_blp.response(200, schemas.AppointmentListOut)
    def get(self):
        """The citizen's bookings: those to come first, then the last 30 days'."""
        return {"items": appointments.list_own(current_user())}


@appointments_blp.route("/appointments/<uuid:appointment_id>")
class OwnAppointment(MethodView):
    @auth_required(CITIZEN)
    @appointments_blp.response(204)
    @appointments_blp.alt_response(409, description="`invalid_transition` (used or cancelled) "
                                                    "or `slot_past`.")
    def delete(self, appointment_id: uuid.UUID):
        """Cancel one's booking; its place goes back to the slot."""
        appointments.cancel(current_user(), appointment_id)
