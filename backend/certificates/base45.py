"""Base45 (RFC 9285): bytes as text in the QR code's alphanumeric alphabet."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUES = {char: i for i, char in enumerate(ALPHABET)}


def encode(data: bytes) -> str:
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        c, n = n % 45, n // 45
        d, e = n % 45, n // 45
        out += (ALPHABET[c], ALPHABET[d], ALPHABET[e])
    if len(data) % 2:
        c, d = data[-1] % 45, data[-1] // 45
        out += (ALPHABET[c], ALPHABET[d])
    return "".join(out)


def decode(text: str) -> bytes:
    """ValueError for a character outside the alphabet, a dangling character or a group
    whose value is too large."""
    if len(text) % 3 == 1:
        raise ValueError("base45: a dangling character")
    try:
        values = [_VALUES[char] for char in text]
    except KeyError as error:
        raise ValueError("base45: a character outside the alphabet") from error
    out = bytearray()
    for i in range(0, len(values), 3):
        group = values[i:i + 3]
        n = sum(v * 45 ** k for k, v in enumerate(group))
        if len(group) == 3:
            if n > 0xFFFF:
                raise ValueError("base45: a group too large")
            out += n.to_bytes(2, "big")
        else:
            if n > 0xFF:
                raise ValueError("base45: a group too large")
            out.append(n)
    return bytes(out)
