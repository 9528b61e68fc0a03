"""The closed loop of a case (闭环), as a state machine.

上报 reported → 立案 registered → 派遣 dispatched → 处置 handled → 核查 verified → 结案 closed.
A grid worker may close a small issue on the spot (网格微循环: reported → closed); a
failed check sends the case back for handling (handled → dispatched).
"""

from __future__ import annotations

STATUSES = ("reported", "registered", "dispatched", "handled", "verified", "closed", "cancelled")

TRANSITIONS: dict[str, frozenset[str]] = {
    "reported": frozenset({"registered", "closed", "cancelled"}),
    "registered": frozenset({"dispatched", "cancelled"}),
    "dispatched": frozenset({"handled"}),
    "handled": frozenset({"verified", "dispatched"}),
    "verified": frozenset({"closed"}),
    "closed": frozenset(),
    "cancelled": frozenset(),
}


def can_move(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())
