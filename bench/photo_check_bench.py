"""What checking and cleaning an uploaded photo costs the server, per photo and per day.

    .venv/bin/python bench/photo_check_bench.py [--repeat 3]

The photos are the day bench's (bench/day_bench.py: 90 photo-like street scenes shrunk as
the app does in Chrome, WebP ≤ 150 KB at 1600 or 1280 px), and the same pictures as the
JPEG a browser without a WebP encoder sends (quality 0.75). Each step of an upload
(backend/photos/images.py) is timed, best of `--repeat` runs a photo, and beside them
the alternatives: decoding alone (a check that makes no thumbnail; for JPEG in draft mode
at 1/8 scale) and a plain full decode. Times are CPU times, so that other work on the
machine inflates them less than it would wall time.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402

from backend.photos import images  # noqa: E402
from bench.day_bench import PHOTOS_PER_REPORT, REPORTS, photo_set  # noqa: E402

DAY_PHOTOS = REPORTS * PHOTOS_PER_REPORT


def cpu_ms(step: Callable[[Path, images.ImageInfo], object], path: Path, info: images.ImageInfo,
           repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.process_time()
        step(path, info)
        times.append((time.process_time() - started) * 1000)
    return min(times)


def decode_only(path: Path, info: images.ImageInfo) -> None:
    with Image.open(path) as image:
        if image.format == "JPEG":
            image.draft("RGB", (image.width // 8, image.height // 8))
        image.load()


def full_decode(path: Path, info: images.ImageInfo) -> None:
    with Image.open(path) as image:
        image.load()


def as_jpeg(webp: bytes) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(webp)).convert("RGB").save(out, "JPEG", quality=75)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7, help="the day bench's photo seed")
    args = parser.parse_args()
    webps, _ = photo_set(DAY_PHOTOS, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        thumbnail_path = Path(folder) / "thumbnail"
        steps = {
            "read headers (type, size, orientation)": lambda path, info: images.read_image(path),
            "strip metadata (the app's: none to strip)": images.strip_metadata,
            "thumbnail = the decode check (uploads now)": lambda path, info: images.write_thumbnail(
                path, thumbnail_path),
            "  instead: decode only, no thumbnail": decode_only,
            "  instead: plain full decode": full_decode,
        }
        for name, photos in {"WebP": webps, "JPEG": [as_jpeg(data) for data in webps]}.items():
            sizes = [len(data) for data in photos]
            print(f"\n{name}: {len(photos)} photos, median {statistics.median(sizes) / 1024:.0f} KB")
            print(f"  {'step, CPU time':<44} {'median ms':>10} {'90 photos s':>12}")
            paths = []
            for index, data in enumerate(photos):
                path = Path(folder) / f"{name}-{index}"
                path.write_bytes(data)
                paths.append((path, images.read_image(path)))
            for label, step in steps.items():
                costs = [cpu_ms(step, path, info, args.repeat) for path, info in paths]
                print(f"  {label:<44} {statistics.median(costs):>10.1f} {sum(costs) / 1000:>12.2f}")


if __name__ == "__main__":
    main()
