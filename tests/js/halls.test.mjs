// The hall console's rules (opening hours from the form's rows, a day's slots, what an edit
// sends) and the booking screen's (what a slot's button says).
import assert from "node:assert/strict";
import { test } from "node:test";

import { changedFields, clockMinutes, daySlots, hoursFromRows } from "../../pwa/console/halls.js";
import { slotState } from "../../pwa/screens/appointments.js";

test("clock times: HH:MM and 24:00, nothing else", () => {
  assert.equal(clockMinutes("08:30"), 510);
  assert.equal(clockMinutes("24:00"), 1440);
  for (const bad of ["8:30", "24:01", "25:00", "12:60", "", "abc", undefined]) assert.equal(clockMinutes(bad), null, bad);
});

test("opening hours from rows: blank rows left out, empty days closed", () => {
  const rows = { 1: [["08:30", "12:00"], ["13:30", "17:30"]], 2: [["", ""]], 6: [[" 09:00 ", "24:00"]] };
  assert.deepEqual(hoursFromRows(rows), { hours: { 1: [["08:30", "12:00"], ["13:30", "17:30"]], 6: [["09:00", "24:00"]] } });
});

test("opening hours: backwards, overlapping, out of order or malformed periods are refused by day", () => {
  assert.deepEqual(hoursFromRows({ 3: [["12:00", "08:00"]] }).error, { day: "3", key: "halls.hours_backwards" });
  assert.deepEqual(hoursFromRows({ 1: [["08:00", "12:00"], ["11:00", "13:00"]] }).error, { day: "1", key: "halls.hours_overlap" });
  assert.deepEqual(hoursFromRows({ 1: [["13:00", "17:00"], ["08:00", "12:00"]] }).error, { day: "1", key: "halls.hours_overlap" });
  assert.deepEqual(hoursFromRows({ 7: [["8:00", "12:00"]] }).error, { day: "7", key: "halls.hours_bad_time" });
  assert.deepEqual(hoursFromRows({ 7: [["24:00", "24:00"]] }).error, { day: "7", key: "halls.hours_bad_time" });
  assert.deepEqual(hoursFromRows({ 2: [["08:00", ""]] }).error, { day: "2", key: "halls.hours_bad_time" });
});

test("a day's slots: whole slots between from and to, none for nonsense", () => {
  const slots = daySlots("2030-03-04", "09:00", "10:40", "30");
  assert.equal(slots.length, 3);  // 09:00, 09:30, 10:00 (10:30–11:00 would end after 10:40)
  assert.equal(slots[0][0].getHours(), 9);
  assert.equal(slots[2][1].getHours() * 60 + slots[2][1].getMinutes(), 10 * 60 + 30);
  assert.equal(daySlots("2030-03-04", "22:00", "24:00", "60").length, 2);
  assert.deepEqual(daySlots("2030-03-04", "10:00", "09:00", "30"), []);
  assert.deepEqual(daySlots("2030-03-04", "09:00", "10:00", "0"), []);
  assert.deepEqual(daySlots("", "09:00", "10:00", "30"), []);
  assert.equal(daySlots("2030-03-04", "00:00", "24:00", "5").length, 200);  // capped
});

test("an edit sends only what changed, lists compared by value", () => {
  const before = { number: 5, label: "综合", service_ids: ["a", "b"], clerk_id: null };
  assert.deepEqual(changedFields(before, { number: 5, label: "综合", service_ids: ["a", "b"], clerk_id: null }), {});
  assert.deepEqual(changedFields(before, { number: 6, label: "综合", service_ids: ["a"], clerk_id: "c" }),
    { number: 6, service_ids: ["a"], clerk_id: "c" });
});

test("a slot's button: book while places are free, else full, or booked by me", () => {
  assert.deepEqual(slotState({ free: 2, my_appointment_id: null }), { key: "appointments.book", bookable: true });
  assert.deepEqual(slotState({ free: 0, my_appointment_id: null }), { key: "appointments.full", bookable: false });
  assert.deepEqual(slotState({ free: 0, my_appointment_id: "x" }), { key: "appointments.booked_already", bookable: false });
});

test("the audit log says what a hall's set-up change was about", async () => {
  const { describeDetails } = await import("../../pwa/console/audit.js");
  const t = (key, params = {}) => `${key}${JSON.stringify(params)}`;
  assert.equal(describeDetails({ action: "hall.service_added", details: { hall: "大厅", code: "D", name: "公积金" } }, t),
    "大厅 · D · 公积金");
  assert.equal(describeDetails({ action: "hall.window_added", details: { number: 5, services: ["A", "B"] } }, t),
    'audit.hall_window{"number":5} · A · B');
  assert.equal(describeDetails({ action: "hall.managers_set", details: { added: ["x"], removed: [] } }, t),
    'audit.hall_managers{"added":1,"removed":0}');
});
