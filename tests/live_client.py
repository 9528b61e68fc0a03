"""Reading GET /api/v1/live in tests: server-sent event framing, through Flask's test client
or over real HTTP."""

from __future__ import annotations

import json
import time


def parse_events(text: str) -> tuple[list[tuple[str, dict]], str]:
    """Whole events in `text` as (name, data), and what is left of an unfinished one.
    Comment lines and `retry:` are not events."""
    events = []
    *blocks, rest = text.replace("\r\n", "\n").split("\n\n")
    for block in blocks:
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events, rest


class TestClientStream:
    """A stream opened through the test client; `first` is what it sent at once (by then it
    is subscribed). Reading blocks at most LIVE_HEARTBEAT_S per chunk."""

    __test__ = False

    def __init__(self, client, headers: dict, path: str = "/api/v1/live"):
        self.response = client.get(path, headers=headers, buffered=False)
        assert self.response.status_code == 200, self.response.get_data(as_text=True)
        self.chunks = iter(self.response.response)
        self.first = self._next()
        self.events: list[tuple[str, dict]] = []
        self.ended = False
        self._rest = ""

    def _next(self) -> str:
        chunk = next(self.chunks)
        return chunk.decode() if isinstance(chunk, bytes) else chunk

    def read_until(self, condition, timeout_s: float = 10.0) -> list[tuple[str, dict]]:
        """Read until condition(events so far) holds; fails after timeout_s."""
        deadline = time.monotonic() + timeout_s
        while not condition(self.events):
            assert time.monotonic() < deadline and not self.ended, \
                f"not seen in {timeout_s} s; events: {self.events}"
            try:
                chunk = self._next()
            except StopIteration:
                self.ended = True
                continue
            found, self._rest = parse_events(self._rest + chunk)
            self.events += found
        return self.events

    def case_events(self, case_id) -> list[dict]:
        return [data for name, data in self.events if name == "case" and data["id"] == str(case_id)]

    def wait_for_case(self, case_id, status: str | None = None, timeout_s: float = 10.0) -> dict:
        self.read_until(lambda _events: any(
            status is None or data["status"] == status for data in self.case_events(case_id)),
            timeout_s)
        return [data for data in self.case_events(case_id)
                if status is None or data["status"] == status][-1]

    def close(self) -> None:
        self.response.close()
