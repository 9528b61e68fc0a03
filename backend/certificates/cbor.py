"""The small part of CBOR (RFC 8949) a certificate needs: integers, byte and text strings,
arrays, maps, tags, booleans and null. Decoding is strict and bounded, because its input
is whatever a QR code said: definite lengths only, no trailing bytes, limited depth and
size. Anything else raises CBORError."""

from __future__ import annotations

import struct


class CBORError(ValueError):
    pass


class Tag:
    __slots__ = ("number", "value")

    def __init__(self, number: int, value) -> None:
        self.number, self.value = number, value

    def __eq__(self, other) -> bool:
        return isinstance(other, Tag) and (self.number, self.value) == (other.number, other.value)

    def __repr__(self) -> str:
        return f"Tag({self.number}, {self.value!r})"


MAX_DEPTH = 8
MAX_ITEMS = 256


def _head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if value < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | info]) + struct.pack(fmt, value)
    raise CBORError("integer too large")


def dumps(value) -> bytes:
    """Encode with the shortest heads (deterministic for the types used here; map keys keep
    the order given)."""
    if value is None:
        return b"\xf6"
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, (bytes, bytearray)):
        return _head(2, len(value)) + bytes(value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _head(3, len(raw)) + raw
    if isinstance(value, (list, tuple)):
        return _head(4, len(value)) + b"".join(dumps(item) for item in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(dumps(k) + dumps(v) for k, v in value.items())
    if isinstance(value, Tag):
        return _head(6, value.number) + dumps(value.value)
    raise CBORError(f"cannot encode {type(value).__name__}")


def loads(data: bytes):
    value, end = _read(memoryview(data), 0, 0)
    if end != len(data):
        raise CBORError("trailing bytes")
    return value


def _read(data: memoryview, at: int, depth: int):
    if depth > MAX_DEPTH:
        raise CBORError("nested too deep")
    if at >= len(data):
        raise CBORError("truncated")
    initial = data[at]
    major, info = initial >> 5, initial & 0x1F
    at += 1
    if major == 7:
        simple = {20: False, 21: True, 22: None}
        if info in simple:
            return simple[info], at
        raise CBORError("unsupported simple or float value")
    if info < 24:
        argument = info
    elif info <= 27:
        size = 1 << (info - 24)
        if at + size > len(data):
            raise CBORError("truncated")
        argument = int.from_bytes(data[at:at + size], "big")
        at += size
    else:
        raise CBORError("indefinite lengths are not accepted")
    if major == 0:
        return argument, at
    if major == 1:
        return -1 - argument, at
    if major in (2, 3):
        if at + argument > len(data):
            raise CBORError("truncated")
        raw = bytes(data[at:at + argument])
        if major == 2:
            return raw, at + argument
        try:
            return raw.decode("utf-8"), at + argument
        except UnicodeDecodeError as error:
            raise CBORError("text is not UTF-8") from error
    if major == 4:
        if argument > MAX_ITEMS:
            raise CBORError("array too long")
        items = []
        for _ in range(argument):
            item, at = _read(data, at, depth + 1)
            items.append(item)
        return items, at
    if major == 5:
        if argument > MAX_ITEMS:
            raise CBORError("map too long")
        mapping = {}
        for _ in range(argument):
            key, at = _read(data, at, depth + 1)
            if not isinstance(key, (int, str)):
                raise CBORError("map keys must be integers or text")
            if key in mapping:
                raise CBORError("duplicate map key")
            mapping[key], at = _read(data, at, depth + 1)
        return mapping, at
    value, at = _read(data, at, depth + 1)
    return Tag(argument, value), at
