"""What the server reads in an uploaded image and what it keeps of it.

`read_image` finds the real type and size from the headers; `strip_metadata` rewrites the
file without EXIF, XMP, comments and text by dropping those blocks from the container,
never by re-encoding the picture (the pixels and their quality stay exactly as the phone
sent them, and it costs a scan of the bytes); `write_thumbnail` decodes every pixel.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import ExifTags, Image, ImageOps

from backend.errors import BadRequest

# Pillow's format name → the Content-Type we record and serve.
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# Pillow names a JPEG followed by more pictures (MPF: phones' previews and depth maps)
# MPO. Browsers show the first, and only the first is kept.
_CONTENT_TYPES = {**IMAGE_TYPES, "MPO": "image/jpeg"}
# Phones send photos shrunk to ~150 KB, but a full-size camera original must still pass.
# Beyond this a tiny file could expand to gigabytes when decoded (a decompression bomb);
# The largest phone cameras' photos (24 MP); the app shrinks to 1600 px anyway. Pillow's own
# limit (Image.MAX_IMAGE_PIXELS, ~89 MP) is only a warning until 2×.
MAX_IMAGE_PIXELS = 24_000_000
THUMBNAIL_SIDE_PX = 320
THUMBNAIL_TYPE = "image/jpeg"
# EXIF orientations that turn the picture a quarter: width and height swap on screen.
_QUARTER_TURNS = {5, 6, 7, 8}
_UPRIGHT = 1


class NotAnImage(ValueError):
    """The bytes are not a whole image of a kind we keep."""


class TooManyPixels(NotAnImage):
    pass


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    width: int
    height: int
    # EXIF orientation (1–8; 1 is upright), wherever the file kept it: EXIF or XMP.
    orientation: int = _UPRIGHT


def not_an_image(message: str = "Not a complete JPEG, PNG or WebP image.") -> BadRequest:
    return BadRequest(message, code="not_an_image")


# -- reading ---------------------------------------------------------------------------

def read_image(path: Path) -> ImageInfo:
    """The real type, displayed size and orientation of an image file, from its headers;
    `not_an_image` unless it is one JPEG, PNG or WebP picture of a sane pixel count."""
    try:
        with Image.open(path, formats=list(IMAGE_TYPES)) as image:
            image_format, (width, height) = image.format, image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise TooManyPixels
            if getattr(image, "is_animated", False) and image_format != "MPO":
                # Only the first frame would be checked and shown; a photo has one.
                raise NotAnImage("an animation")
            # (A PNG whose EXIF follows its pixels is decoded here to find it.)
            orientation = image.getexif().get(ExifTags.Base.Orientation, _UPRIGHT)
        if image_format == "PNG":
            with Image.open(path, formats=["PNG"]) as image:
                image.verify()  # every chunk's CRC, which browsers' decoders check too
        # A RIFF file states its own length: a cut or padded upload shows without decoding.
        if image_format == "WEBP" and not _riff_complete(path):
            raise NotAnImage("the RIFF length does not match the file")
    except TooManyPixels:
        raise not_an_image(f"An image may have at most {MAX_IMAGE_PIXELS} pixels.") from None
    except Exception as error:  # Pillow reports bad input with many types; all mean "no"
        raise not_an_image() from error
    orientation = orientation if orientation in range(1, 9) else _UPRIGHT
    if orientation in _QUARTER_TURNS:
        # Browsers apply EXIF orientation, so the size people see (and lay out) is turned.
        width, height = height, width
    return ImageInfo(_CONTENT_TYPES[image_format], width, height, orientation)


def write_thumbnail(source: Path | BinaryIO, target: Path) -> None:
    """Decode the whole picture and write it upright as a JPEG at most 320 px on its longest
    side; `NotAnImage` when any of it does not decode.

    This is also the upload's check that the picture is whole, so that a damaged one is
    refused then rather than failing whenever it is shown; one decode serves both. Measured
    (bench/photo_check_bench.py, CPU time on the 2-core benchmark machine, busy) on the app's
    photos, 1600 px WebP ≤ 150 KB: the decode costs ~22 ms, and WebP has no reduced-scale
    decode to make it cheaper; the thumbnail from it ~3 ms more. A JPEG decodes in draft
    mode, at the smallest DCT scale still ≥ 320 px, which reads every byte of its scans:
    ~6 ms in all. So a day's 90 photos cost ~2.4 s at upload, and their first views, which
    would otherwise make the thumbnails at about that cost, cost nothing: photos are taken
    to be looked at, and a check without the thumbnail (~2.3 s) would have each decoded
    twice. The day bench reports both, the sync's server time and its photos' first views.
    """
    box = (THUMBNAIL_SIDE_PX, THUMBNAIL_SIDE_PX)
    try:
        with Image.open(source, formats=list(IMAGE_TYPES)) as image:
            image.draft("RGB", box)
            # Decodes, then averages whole blocks of pixels down to about the box, as JPEG's
            # draft mode does, before Lanczos: a third of the cost of stopping at twice the box,
            # and within 41 dB of Lanczos all the way, finer than the JPEG it is saved as.
            image.thumbnail(box, reducing_gap=1.0)
            # Turned once small, which is cheaper; into a square box, the size is the same.
            flat = _flatten(ImageOps.exif_transpose(image))
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as error:
        raise NotAnImage(str(error)) from error
    flat.save(target, "JPEG", quality=80, optimize=True)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB for JPEG; transparent parts become white rather than black."""
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


def _riff_complete(path: Path) -> bool:
    """The RIFF header's length (of what follows its first 8 bytes) matches the file."""
    with open(path, "rb") as file:
        header = file.read(12)
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WEBP":
        return False
    stated = int.from_bytes(header[4:8], "little")
    return stated + 8 + (stated & 1) == path.stat().st_size or stated + 8 == path.stat().st_size


# -- metadata --------------------------------------------------------------------------

def strip_metadata(path: Path, info: ImageInfo) -> None:
    """Rewrite the file at `path` without its metadata.

    Kept: the picture and what it needs to look right — its ICC colour profile, JPEG's
    JFIF and Adobe segments, PNG's colour and transparency chunks — and, when the picture
    is turned, an EXIF block holding the orientation and nothing else, so that it still
    shows upright. (The app's photos come upright and without metadata, so they stay as
    they are, byte for byte.) Dropped: EXIF (GPS position, camera, time, its thumbnail),
    XMP, comments, IPTC, PNG text, pictures after the first (MPF, depth maps) and any
    block we do not know. A block that runs past the end is `not_an_image`.
    """
    data = path.read_bytes()
    try:
        stripped = _STRIPPERS[info.content_type](data, _orientation_exif(info.orientation))
    except (ValueError, IndexError, struct.error) as error:
        raise not_an_image() from error
    if stripped != data:
        path.write_bytes(stripped)


def _orientation_exif(orientation: int) -> bytes | None:
    """A TIFF block with only the orientation (what EXIF chunks of WebP and PNG hold; JPEG
    prefixes `Exif\\0\\0`), or None for an upright picture, which needs none."""
    if orientation == _UPRIGHT:
        return None
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    return exif.tobytes()[len(b"Exif\0\0"):]


# JPEG: a marker is 0xFF and a code; between SOI and the first scan, and between scans, each
# segment states its length. After a scan header the entropy-coded data runs to the next
# marker that is not a restart (RST0–7) or a stuffed 0xFF00.
_SOI, _EOI, _SOS = 0xD8, 0xD9, 0xDA
_APP0, _APP1, _APP2, _APP14, _COM = 0xE0, 0xE1, 0xE2, 0xEE, 0xFE
_STANDALONE = {0x01, *range(0xD0, 0xD8)}


def _strip_jpeg(data: bytes, orientation_exif: bytes | None) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise NotAnImage("no SOI")
    out, pos = [b"\xff\xd8"], 2
    while True:
        # Bytes before a marker that are not one are junk that decoders skip; so do we.
        pos = data.index(b"\xff", pos)
        while data[pos + 1] == 0xFF:  # fill bytes before a marker
            pos += 1
        code = data[pos + 1]
        if code == _EOI:
            break  # what follows the picture (MPF pictures, trailers) stays out
        if code in _STANDALONE or code in (_SOI, 0x00):
            raise NotAnImage("a marker out of place")
        length = struct.unpack_from(">H", data, pos + 2)[0]
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise NotAnImage("a segment runs past the end")
        if _keep_jpeg_segment(code, data[pos + 4:end]):
            out.append(_jfif_without_thumbnail(data[pos:end]) if code == _APP0 else data[pos:end])
        pos = end
        if code == _SOS:
            scan_end = _end_of_scan(data, pos)
            out.append(data[pos:scan_end])
            pos = scan_end
    if orientation_exif:
        # After JFIF's APP0 where there is one: JFIF wants to be first, EXIF readers look on.
        at = 2 if len(out) > 1 and out[1][1] == _APP0 else 1
        out.insert(at, _jpeg_segment(_APP1, b"Exif\0\0" + orientation_exif))
    out.append(b"\xff\xd9")
    return b"".join(out)


def _keep_jpeg_segment(code: int, payload: bytes) -> bool:
    if code == _APP0:
        return payload.startswith(b"JFIF\0")  # not JFXX: that is a thumbnail
    if code == _APP2:
        return payload.startswith(b"ICC_PROFILE\0")  # not MPF (more pictures) or FlashPix
    if code == _APP14:
        return payload.startswith(b"Adobe")  # tells the decoder how the colours are coded
    return not (0xE0 <= code <= 0xEF or code == _COM)


def _jfif_without_thumbnail(segment: bytes) -> bytes:
    # JFIF: identifier, version, density units and x/y density (14 bytes), then a thumbnail.
    payload = segment[4:4 + 12] + b"\0\0"
    return _jpeg_segment(_APP0, payload) if len(segment) >= 4 + 14 else segment


def _jpeg_segment(code: int, payload: bytes) -> bytes:
    return bytes((0xFF, code)) + struct.pack(">H", len(payload) + 2) + payload


def _end_of_scan(data: bytes, pos: int) -> int:
    while True:
        pos = data.index(b"\xff", pos)
        code = data[pos + 1]
        if code == 0x00 or code in _STANDALONE:
            pos += 2
        elif code == 0xFF:
            pos += 1
        else:
            return pos


# WebP: a RIFF file of chunks (fourcc, little-endian length, payload, a pad byte when odd).
# VP8X, the extended header, flags which optional chunks are there.
_WEBP_KEPT = {b"VP8X", b"ICCP", b"ANIM", b"ANMF", b"ALPH", b"VP8 ", b"VP8L"}
_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


def _strip_webp(data: bytes, orientation_exif: bytes | None) -> bytes:
    chunks, pos = [], 12
    while pos < len(data):
        fourcc, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        if pos + 8 + size > len(data):
            raise NotAnImage("a chunk runs past the end")
        # Padded here, since the last chunk's pad byte may be missing from the file.
        chunks.append((fourcc, data[pos:pos + 8 + size] + b"\0" * (size & 1)))
        pos += 8 + size + (size & 1)
    kept = [chunk for fourcc, chunk in chunks if fourcc in _WEBP_KEPT]
    if kept and kept[0][:4] == b"VP8X":
        flags = kept[0][8] & ~(_VP8X_EXIF | _VP8X_XMP)
        if orientation_exif:
            flags |= _VP8X_EXIF
            kept.append(_webp_chunk(b"EXIF", orientation_exif))
        kept[0] = kept[0][:8] + bytes((flags,)) + kept[0][9:]
    # (A simple WebP, without VP8X, has no place for EXIF; Pillow finds no orientation in it.)
    body = b"WEBP" + b"".join(kept)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _webp_chunk(fourcc: bytes, payload: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(payload)) + payload + b"\0" * (len(payload) & 1)


# PNG: chunks of big-endian length, type, data and CRC. Kept: the critical ones, and those
# that change how the picture looks (colour space, gamma, transparency) or moves (APNG).
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_KEPT = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP",
             b"sBIT", b"bKGD", b"pHYs", b"cICP", b"mDCV", b"cLLI", b"acTL", b"fcTL", b"fdAT"}


def _strip_png(data: bytes, orientation_exif: bytes | None) -> bytes:
    if not data.startswith(_PNG_SIGNATURE):
        raise NotAnImage("no PNG signature")
    out, pos, has_exif = [_PNG_SIGNATURE], len(_PNG_SIGNATURE), False
    while True:
        size = struct.unpack_from(">I", data, pos)[0]
        kind, end = data[pos + 4:pos + 8], pos + 12 + size
        if end > len(data):
            raise NotAnImage("a chunk runs past the end")
        if kind == b"IDAT" and orientation_exif and not has_exif:
            out.append(_png_chunk(b"eXIf", orientation_exif))  # readers look for it before IDAT
            has_exif = True
        if kind in _PNG_KEPT:
            out.append(data[pos:end])
        pos = end
        if kind == b"IEND":
            return b"".join(out)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


_STRIPPERS = {"image/jpeg": _strip_jpeg, "image/png": _strip_png, "image/webp": _strip_webp}
