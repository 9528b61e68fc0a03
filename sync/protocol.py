"""The wire format of a push, checked as a whole before anything is applied.

A request whose envelope is malformed (wrong types, bad ids, mids out of order, too many
mutations) is refused whole with 400/413. What a mutation says (its collection, its
fields) is judged one mutation at a time: a bad one is rejected and the rest go on,
so that one broken record never blocks a phone's outbox.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sync.errors import SyncRequestError

OPS = ("create", "update", "delete")


@dataclass(frozen=True)
class Mutation:
    mid: int
    collection: str
    id: uuid.UUID
    op: str
    base_version: int | None
    fields: dict[str, Any]
    client_time: datetime


@dataclass(frozen=True)
class PushRequest:
    client_id: uuid.UUID
    mutations: tuple[Mutation, ...]
    sent_at: datetime | None = None  # the device's clock when it sent this (for clock skew)


def _bad(message: str, index: int | None = None) -> SyncRequestError:
    where = f"mutations[{index}]: " if index is not None else ""
    return SyncRequestError(400, "malformed_push", where + message,
                            {"index": index} if index is not None else None)


def parse_uuid(value: Any, what: str, index: int | None = None) -> uuid.UUID:
    if not isinstance(value, str):
        raise _bad(f"{what} must be a UUID string", index)
    try:
        return uuid.UUID(value)
    except ValueError:
        raise _bad(f"{what} is not a valid UUID", index) from None


def parse_time(value: Any, what: str, index: int | None = None) -> datetime:
    if not isinstance(value, str):
        raise _bad(f"{what} must be an ISO 8601 time", index)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(f"{what} is not an ISO 8601 time", index) from None
    if parsed.tzinfo is None:
        raise _bad(f"{what} needs a time zone (e.g. Z)", index)
    return parsed.astimezone(UTC)


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_push(body: Any, *, max_mutations: int) -> PushRequest:
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object")
    unknown = set(body) - {"client_id", "mutations", "sent_at"}
    if unknown:
        raise _bad(f"unknown members {sorted(unknown)}")
    client_id = parse_uuid(body.get("client_id"), "client_id")
    raw = body.get("mutations")
    if not isinstance(raw, list):
        raise _bad("mutations must be a list")
    if len(raw) > max_mutations:
        raise SyncRequestError(413, "batch_too_large",
                               f"{len(raw)} mutations in one push; at most {max_mutations}.",
                               {"max_mutations": max_mutations})
    sent_at = parse_time(body["sent_at"], "sent_at") if body.get("sent_at") is not None else None
    mutations, previous = [], 0
    for index, item in enumerate(raw):
        mutation = _parse_mutation(item, index)
        if mutation.mid <= previous:
            raise _bad("mids must increase within a push", index)
        previous = mutation.mid
        mutations.append(mutation)
    return PushRequest(client_id=client_id, mutations=tuple(mutations), sent_at=sent_at)


def _parse_mutation(item: Any, index: int) -> Mutation:
    if not isinstance(item, dict):
        raise _bad("a mutation is a JSON object", index)
    unknown = set(item) - {"mid", "collection", "id", "op", "base_version", "fields", "client_time"}
    if unknown:
        raise _bad(f"unknown members {sorted(unknown)}", index)
    mid = item.get("mid")
    if not _int(mid) or mid < 1:
        raise _bad("mid must be a positive integer", index)
    collection = item.get("collection")
    if not isinstance(collection, str) or not collection or len(collection) > 64:
        raise _bad("collection must be a non-empty string", index)
    op = item.get("op")
    if op not in OPS:
        raise _bad(f"op must be one of {', '.join(OPS)}", index)
    base_version = item.get("base_version")
    if base_version is not None and (not _int(base_version) or base_version < 1):
        raise _bad("base_version must be null or a positive integer", index)
    if op == "create" and base_version is not None:
        raise _bad("a create has no base_version", index)
    if op != "create" and base_version is None:
        raise _bad(f"an {op} needs the base_version it was made on", index)
    fields = item.get("fields", {})
    if not isinstance(fields, dict):
        raise _bad("fields must be a JSON object", index)
    if op == "delete" and fields:
        raise _bad("a delete carries no fields", index)
    return Mutation(mid=mid, collection=collection, id=parse_uuid(item.get("id"), "id", index),
                    op=op, base_version=base_version, fields=fields,
                    client_time=parse_time(item.get("client_time"), "client_time", index))
