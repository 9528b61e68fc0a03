"""A phone, as far as sync goes: an outbox with mids, a cursor, and the records it holds.

It talks to the real server through Flask's test client, exactly as the PWA will.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.factories import PASSWORD

BASE_TIME = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


class Phone:
    def __init__(self, http, username: str, password: str = PASSWORD, *, client_id: str | None = None):
        self.http = http
        self.username = username
        response = http.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.get_json()
        self.headers = {"Authorization": f"Bearer {response.get_json()['access_token']}"}
        self.client_id = client_id or str(uuid.uuid4())
        self.next_mid = 1
        self.outbox: list[dict] = []
        self.records: dict[tuple[str, str], dict] = {}
        self.cursor: str | None = None
        self.results: dict[int, dict] = {}
        self.clock = BASE_TIME

    # -- local changes -----------------------------------------------------------------

    def _mutation(self, collection: str, record_id: str, op: str, fields: dict, base_version,
                  client_time: datetime | None) -> dict:
        self.clock += timedelta(seconds=1)
        mutation = {"mid": self.next_mid, "collection": collection, "id": record_id, "op": op,
                    "base_version": base_version, "fields": fields,
                    "client_time": iso(client_time or self.clock)}
        self.next_mid += 1
        self.outbox.append(mutation)
        return mutation

    def create(self, collection: str, fields: dict, *, record_id: str | None = None,
               client_time: datetime | None = None) -> str:
        record_id = record_id or str(uuid.uuid4())
        self._mutation(collection, record_id, "create", fields, None, client_time)
        return record_id

    def base_version(self, collection: str, record_id: str) -> int:
        held = self.records.get((collection, record_id))
        return held["version"] if held else 1

    def update(self, collection: str, record_id: str, fields: dict, *,
               client_time: datetime | None = None, base_version: int | None = None) -> dict:
        base = base_version or self.base_version(collection, record_id)
        return self._mutation(collection, record_id, "update", fields, base, client_time)

    def delete(self, collection: str, record_id: str, *, client_time: datetime | None = None) -> dict:
        return self._mutation(collection, record_id, "delete", {},
                              self.base_version(collection, record_id), client_time)

    # -- talking to the server -----------------------------------------------------------

    def push(self, *, lose_response: bool = False, mutations: list[dict] | None = None):
        """Send the outbox; with lose_response the server's answer never arrives."""
        batch = self.outbox if mutations is None else mutations
        response = self.http.post("/api/v1/sync/push", headers=self.headers,
                                  json={"client_id": self.client_id, "mutations": batch})
        if lose_response:
            return None
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        for result in body["results"]:
            self.results.setdefault(result["mid"], result)
        self.outbox = [m for m in self.outbox if m["mid"] > body["last_mid"]]
        return body

    def pull(self, *, limit: int = 500) -> list[dict]:
        """Pull until nothing more; start over on 410, keeping the outbox."""
        received = []
        while True:
            query = {"client_id": self.client_id, "limit": limit}
            if self.cursor:
                query["cursor"] = self.cursor
            response = self.http.get("/api/v1/sync/pull", headers=self.headers, query_string=query)
            if response.status_code == 410:
                self.cursor = None
                self.records.clear()
                continue
            assert response.status_code == 200, response.get_json()
            body = response.get_json()
            for change in body["changes"]:
                key = (change["collection"], change["id"])
                if change.get("deleted"):
                    self.records.pop(key, None)
                else:
                    self.records[key] = change["record"]
            received.extend(body["changes"])
            self.cursor = body["cursor"]
            self.outbox = [m for m in self.outbox if m["mid"] > body["last_mid"]]
            if not body["has_more"]:
                return received

    def sync(self) -> None:
        self.push()
        self.pull()

    def held(self, collection: str) -> dict[str, dict]:
        return {rid: rec for (name, rid), rec in self.records.items() if name == collection}
