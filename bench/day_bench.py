"""One grid worker's whole working day, synced in one go when the phone comes back online.

    .venv/bin/python bench/day_bench.py [--db sqlite|postgresql|both] [--profile]

The day (built offline exactly as the PWA queues it, pwa/screens/*.js): one patrol (create
at the start, `ended_at` update at the end) with 5,760 track points — 8 h, a fix every 5 s,
walking the streets of worker1's grid with GPS noise, realistic `accuracy_m` and a few
jitter fixes, through the phone's own 5 m / 30 s filter — 20 attendance punches (two of
them outside the fence, with a reason), and 30 reports with 3 photos each: the report's
create and then its three `photos` creates, mutations with consecutive mids in the order
the phone made them. Photos are photo-like images from Pillow (gradients, 1/f textures,
foliage, sensor noise; 2400 × 1800 "camera" frames) shrunk as pwa/app/photos.js does in
Chrome (pwa/app/shrink.js encodeWithin): longest side 1600 px, WebP at quality 0.75, then
0.65, 0.55 and 0.5 until ≤ 150 KB, then the same at 1280 px. They are cached under the temp
folder, so reruns start at once.

The sync is the PWA's (pwa/app/sync-client.js), over real HTTP to gunicorn (4 workers, as
`make run`) on a fresh SQLite and then a fresh PostgreSQL database with the demo city:
before the day, the phone has signed in and pulled its snapshot (so it holds a cursor);
back online it refreshes its expired access token, pushes the outbox in the PWA's batches
(≤ 200 mutations, ≤ 1,000,000 characters of JSON), pulls, uploads every photo with HEAD
then PUT (in the order IndexedDB lists them, by hash), and pulls again. Like Chrome over
HTTPS, it asks for zstd and gzip (`Accept-Encoding`) and decodes the answers (zstd), and
like the PWA it gzips a push body of 4 KB or more (CompressionStream: zlib's default level 6).

Measured: wall time; server time, summed per request by a stopwatch around the app
(bench/timed_wsgi.py, which gunicorn serves instead of wsgi:app; the backend is unchanged);
requests and TCP connections; bytes on the wire counted at the socket (request line,
headers and body, answers likewise; the requests carry a Chrome-on-Android-sized header
set), all per phase, beside the bodies' size before gzip (what the wire would carry plain).
Then a fresh install of worker1 pulls from scratch and every blob is asked for, to check
that the server holds the whole day. Goals: < 5 s server time,
< 15 MB on the wire. Last, each photo's thumbnail is asked for once, as a report's detail
shows it, and its server time is reported beside the sync's (no part of it or its goal).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import http.client
import io
import json
import math
import os
import pstats
import random
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import shapely  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from backend.common import geo  # noqa: E402
from backend.common.compression import zstd  # noqa: E402
from bench.servers import (  # noqa: E402
    BIN,
    PG_ADMIN_URL,
    ROOT,
    BenchError,
    expect,
    free_port,
    iso,
    log,
    our_env,
    pg_database,
    prepare_database,
    serve,
    temp_dir,
)

USERNAME, PASSWORD = "worker1", "demo12345"
CITY_ZONE = ZoneInfo("Asia/Shanghai")
SERVER_GOAL_S = 5.0
WIRE_GOAL_BYTES = 15_000_000
TIMEOUT = 120

# The day: a full shift of field work.
PATROL_HOURS = 8
FIX_EVERY_S = 5
TRACK_POINTS = PATROL_HOURS * 3600 // FIX_EVERY_S  # 5,760
PUNCHES = 20
REPORTS = 30
PHOTOS_PER_REPORT = 3

# The PWA's numbers (pwa/app/*.js), kept in step by hand.
PUSH_MAX_COUNT = 200          # sync-client.js pushOutbox: maxCount
PUSH_MAX_CHARS = 1_000_000    # backoff.js batches(): maxBytes, of JSON.stringify(m).length
PULL_LIMIT = 500              # sync-client.js PULL_LIMIT
MIN_MOVE_M, MIN_INTERVAL_S = 5, 30  # screens/patrol.js: a fix this close, this soon, is skipped
PHOTO_SIDES = (1600, 1280)    # shrink.js PHOTO_SIDES_PX
PHOTO_BUDGET_BYTES = 150 * 1024  # shrink.js PHOTO_BUDGET_BYTES
PHOTO_QUALITIES = (75, 65, 55, 50)  # shrink.js PHOTO_QUALITIES 0.75 … 0.5 (libwebp's scale)
GZIP_MIN_CHARS = 4 * 1024     # shrink.js GZIP_MIN_CHARS: smaller push bodies go plain
GZIP_LEVEL = 6                # CompressionStream("gzip"): zlib's default level
CAMERA_SIZE = (2400, 1800)    # what the shrinking starts from (a phone's is larger still)
PHOTO_CACHE_VERSION = 2       # 2: WebP ≤ 150 KB (1: JPEG ≤ 300 KB)

# What Chrome on Android sends with a same-origin fetch(), besides Host, Authorization,
# Content-Type and Content-Length: so that the header bytes are a phone's, not urllib's.
BROWSER_HEADERS = {
    "Connection": "keep-alive",
    "sec-ch-ua-platform": '"Android"',
    "User-Agent": "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/131.0.0.0 Mobile Safari/537.36",
    "sec-ch-ua": '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"',
    "sec-ch-ua-mobile": "?1",
    "Accept": "*/*",
    "Sec-Fetch-Site": "same-origin",
    "Sec-Fetch-Mode": "cors",
    "Sec-Fetch-Dest": "empty",
    "Accept-Encoding": "gzip, deflate, br, zstd",
    "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8",
}

DESCRIPTIONS = (
    "人行道地砖松动破损，行人易绊倒，已设简易警示。",
    "小区门口垃圾桶满溢，周边有散落垃圾，需及时清运。",
    "路口井盖缺失，已用锥桶围挡，请尽快补装。",
    "沿街商户占道经营，摆放货架影响通行。",
    "非机动车道内违规停放机动车三辆。",
    "路灯夜间不亮，已持续两天，居民反映出行不便。",
    "绿化带树木被车辆撞断，枝干倒伏在人行道上。",
    "施工围挡松动，大风天气存在倒塌隐患。",
    "道路坑槽约半米见方，雨后积水严重。",
    "楼道堆放杂物阻塞消防通道，已劝说住户清理。",
)



def js_len(value) -> int:
    """JSON.stringify(value).length (UTF-16 units; every character used here is in the BMP)."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def js_json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def float32(value: float) -> float:
    """Android reports accuracy as a float, which JavaScript shows as a double: 4.900000095…"""
    return float(np.float32(value))


def mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB"


# -- photos -----------------------------------------------------------------------------------

def _noise(rng: np.random.Generator, h: int, w: int, octaves: int, persistence: float,
           base: int) -> np.ndarray:
    """Fractal noise (random grids upsampled and summed): close to a photo's 1/f spectrum."""
    out = np.zeros((h, w), np.float32)
    amplitude, total = 1.0, 0.0
    for octave in range(octaves):
        gh = base * 2 ** octave * h // max(h, w) + 2
        gw = base * 2 ** octave * w // max(h, w) + 2
        if gh > h or gw > w:
            layer = rng.standard_normal((h, w)).astype(np.float32)
        else:
            small = Image.fromarray(rng.standard_normal((gh, gw)).astype(np.float32), mode="F")
            layer = np.asarray(small.resize((w, h), Image.BICUBIC))
        out += amplitude * layer
        total += amplitude
        amplitude *= persistence
    return out / total


def street_scene(seed: int) -> Image.Image:
    """A photo-like street: sky, façades with windows, trees, road, kerb, things on it,
    uneven light, material texture at every scale, sensor noise, a lens's softness."""
    rng = np.random.default_rng(seed)
    width, height = CAMERA_SIZE if rng.random() >= 0.3 else CAMERA_SIZE[::-1]
    horizon = int(height * rng.uniform(0.35, 0.55))
    top = np.array([rng.uniform(90, 140), rng.uniform(140, 180), rng.uniform(200, 240)])
    bottom = np.array([200, 215, 230]) + rng.uniform(-20, 20, 3)
    t = np.linspace(0, 1, horizon)[:, None]
    pixels = np.zeros((height, width, 3), np.float32)
    pixels[:horizon] = (top * (1 - t) + bottom * t)[:, None, :]
    grey = rng.uniform(80, 120)
    pixels[horizon:] = [grey, grey, grey * 1.02]
    image = Image.fromarray(pixels.clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)

    x = -int(rng.integers(0, 200))
    while x < width:  # façades
        bw = int(rng.uniform(0.12, 0.35) * width)
        top_y = horizon - int(rng.uniform(0.25, 0.9) * horizon + horizon * 0.1) + int(height * 0.02)
        draw.rectangle([x, top_y, x + bw, horizon + int(height * 0.03)],
                       fill=tuple(int(c) for c in rng.uniform(110, 230, 3)))
        ww, wh = int(rng.integers(22, 60)), int(rng.integers(30, 75))
        gx, gy = ww + int(rng.integers(12, 40)), wh + int(rng.integers(15, 45))
        window = rng.uniform(30, 120, 3)
        for wy in range(top_y + 25, horizon - wh, gy):
            for wx in range(x + 15, x + bw - ww, gx):
                shade = rng.uniform(0.6, 1.6)
                draw.rectangle([wx, wy, wx + ww, wy + wh], outline=(200, 200, 200), width=2,
                               fill=tuple(int(min(255, c * shade)) for c in window))
        x += bw + int(rng.integers(0, 60))
    trees = []
    for _ in range(int(rng.integers(3, 12))):
        cx, cy = int(rng.integers(0, width)), horizon + int(rng.integers(-height // 6, height // 10))
        r = int(rng.integers(height // 14, height // 5))
        draw.rectangle([cx - r // 10, cy, cx + r // 10, cy + r * 1.3], fill=(70, 55, 40))
        for _ in range(60):
            lx, ly = cx + rng.normal(0, r / 2), cy - r / 4 + rng.normal(0, r / 3)
            lr = rng.uniform(r / 8, r / 3)
            draw.ellipse([lx - lr, ly - lr, lx + lr, ly + lr * 0.8],
                         fill=(int(rng.uniform(30, 100)), int(rng.uniform(70, 150)),
                               int(rng.uniform(20, 60))))
        trees.append((cx, cy, r))
    for i in range(6):  # lane markings, in perspective
        y0 = horizon + (height - horizon) * (i / 6) ** 1.5
        y1 = y0 + 8 + 30 * (i / 6)
        mid = width / 2
        draw.polygon([(mid - 4 - i * 6, y0), (mid + 4 + i * 6, y0), (mid + 8 + i * 9, y1),
                      (mid - 8 - i * 9, y1)], fill=(230, 230, 220))
    draw.polygon([(0, height), (0, horizon + 45), (width * 0.3, horizon + 8), (width * 0.05, height)],
                 fill=(150, 145, 135))
    for _ in range(int(rng.integers(4, 14))):  # cars, bins, people, the case itself
        ow, oh = int(rng.integers(width // 30, width // 6)), int(rng.integers(height // 30, height // 8))
        ox, oy = int(rng.integers(0, width)), horizon + int(rng.integers(0, height - horizon))
        colour = tuple(int(c) for c in rng.uniform(0, 255, 3))
        if rng.random() < 0.5:
            draw.rounded_rectangle([ox, oy - oh, ox + ow, oy], radius=min(ow, oh) // 4, fill=colour)
        else:
            draw.ellipse([ox, oy - oh, ox + ow, oy], fill=colour)

    pixels = np.asarray(image).astype(np.float32)
    light = 1 + 0.25 * _noise(rng, height, width, octaves=4, persistence=0.6, base=2)
    texture = _noise(rng, height, width, octaves=10, persistence=rng.uniform(0.85, 0.95), base=3)
    fine = rng.standard_normal((height, width)).astype(np.float32)
    mask = np.ones((height, width), np.float32)
    mask[:horizon] = 0.5                       # façades: smoother than the street
    mask[:max(1, int(horizon * 0.15))] = 0.15  # sky
    for cx, cy, r in trees:                     # foliage: busy at every scale
        y0, y1 = max(0, int(cy - 1.3 * r)), min(height, int(cy + r))
        x0, x1 = max(0, int(cx - 1.3 * r)), min(width, int(cx + 1.3 * r))
        mask[y0:y1, x0:x1] = np.maximum(mask[y0:y1, x0:x1], 1.6)
    pixels = (pixels * light[..., None]
              + ((rng.uniform(30, 55) * texture + 14 * fine) * mask)[..., None]
              * np.array([1, 0.97, 0.93], np.float32))
    pixels += rng.normal(0, rng.uniform(2, 5), (height, width, 1)).astype(np.float32)
    pixels += rng.normal(0, 2, (height, width, 3)).astype(np.float32)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    pixels *= (1 - 0.125 * (((xx - width / 2) / (width / 2)) ** 2
                            + ((yy - height / 2) / (height / 2)) ** 2))[..., None]
    image = Image.fromarray(pixels.clip(0, 255).astype(np.uint8))
    return image.filter(ImageFilter.GaussianBlur(0.5))


def _encode(image: Image.Image, fmt: str, quality: int) -> bytes:
    out = io.BytesIO()
    # JPEG: 4:2:0 and standard tables, as a browser's libjpeg; WebP: libwebp, lossy.
    image.save(out, fmt, quality=quality)
    return out.getvalue()


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """shrink.js fitSize(): longest side at most max_side, never enlarged."""
    scale = min(1, max_side / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def shrink_photo(image: Image.Image, fmt: str = "WEBP") -> tuple[bytes, int, tuple[int, int]]:
    """shrink.js encodeWithin() in Chrome (which encodes WebP): each quality at 1600 px until
    ≤ 150 KB, then each at 1280 px; the last try is kept even if over."""
    previous = None
    for side in PHOTO_SIDES:
        size = _fit(image.size, side)
        if size == previous:
            break
        previous = size
        small = image.resize(size, Image.LANCZOS)  # canvas imageSmoothingQuality "high"
        for quality in PHOTO_QUALITIES:
            data = _encode(small, fmt, quality)
            if len(data) <= PHOTO_BUDGET_BYTES:
                return data, quality, size
    return data, quality, size


def shrink_photo_before(image: Image.Image) -> int:
    """What the phone sent before (photos.js until 2026-11-23): 1600 px, JPEG 0.75 → 0.62
    → 0.5 until ≤ 300 KB. Only its size, for the report."""
    small = image.resize(_fit(image.size, 1600), Image.LANCZOS)
    for quality in (75, 62, 50):
        data = _encode(small, "JPEG", quality)
        if len(data) <= 300 * 1024:
            break
    return len(data)


def blob_type(data: bytes) -> str:
    return "image/webp" if data[:4] == b"RIFF" and data[8:12] == b"WEBP" else "image/jpeg"


def _make_photo(args: tuple[int, Path]) -> dict:
    seed, folder = args
    scene = street_scene(seed)
    data, quality, size = shrink_photo(scene)
    (folder / f"{seed:03d}.webp").write_bytes(data)
    # What other settings would send for the same photo (for the report, not sent).
    jpeg, jpeg_quality, jpeg_size = shrink_photo(scene, "JPEG")
    return {"seed": seed, "bytes": len(data), "quality": quality, "size": list(size),
            "jpeg_budget": len(jpeg), "jpeg_budget_size": list(jpeg_size),
            "jpeg_budget_quality": jpeg_quality, "before": shrink_photo_before(scene)}


def photo_set(count: int, seed: int) -> tuple[list[bytes], list[dict]]:
    """`count` phone-shrunk photos, made once and kept under the temp folder."""
    folder = (Path(tempfile.gettempdir())
              / f"civicgrid-day-bench-photos-webp150-v{PHOTO_CACHE_VERSION}-{seed}")
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    seeds = [seed * 1000 + i for i in range(count)]
    missing = [s for s in seeds if str(s) not in manifest or not (folder / f"{s:03d}.webp").exists()]
    if missing:
        folder.mkdir(parents=True, exist_ok=True)
        log(f"making {len(missing)} photos into {folder} (once; reruns reuse them) …")
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            for item in pool.map(_make_photo, [(s, folder) for s in missing]):
                manifest[str(item["seed"])] = item
        manifest_path.write_text(json.dumps(manifest, indent=1))
        log(f"  made in {time.perf_counter() - started:.0f} s")
    return ([(folder / f"{s:03d}.webp").read_bytes() for s in seeds],
            [manifest[str(s)] for s in seeds])


# -- the day ----------------------------------------------------------------------------------

def metres_per_degree(lat: float) -> tuple[float, float]:
    return tuple(float(v) for v in geo.metres_per_degree(lat))


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Metres between two (lon, lat) points, as the server and the phone measure them."""
    return float(geo.local_distance_m(a[1], a[0], b[1], b[0]))


class Streets:
    """A lattice of streets inside the grid, walked at a person's pace, turning at corners."""

    def __init__(self, polygon, rng: random.Random):
        self.rng = rng
        self.polygon = polygon
        minx, miny, maxx, maxy = polygon.bounds
        per_lon, per_lat = metres_per_degree((miny + maxy) / 2)
        margin_x, margin_y = 12 / per_lon, 12 / per_lat
        nx = max(2, round((maxx - minx) * per_lon / 70) + 1)   # a street every ~70 m
        ny = max(2, round((maxy - miny) * per_lat / 90) + 1)
        xs = np.linspace(minx + margin_x, maxx - margin_x, nx)
        ys = np.linspace(miny + margin_y, maxy - margin_y, ny)
        self.nodes = {(i, j): (float(xs[i]), float(ys[j])) for i in range(nx) for j in range(ny)
                      if polygon.contains(shapely.Point(xs[i], ys[j]))}
        expect(len(self.nodes) >= 4, "worker1's grid is too small for a street lattice")

    def neighbours(self, node):
        i, j = node
        return [n for n in ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)) if n in self.nodes]

    def walk(self):
        """Endless positions (lon, lat) one per FIX_EVERY_S, along streets, 1.3–1.7 m/s."""
        node = self.rng.choice(sorted(self.nodes))
        previous = None
        here = self.nodes[node]
        leftover = 0.0  # metres still to walk before the next fix
        speed = self.rng.uniform(1.3, 1.7)
        step = speed * FIX_EVERY_S
        while True:
            options = [n for n in self.neighbours(node) if n != previous] or self.neighbours(node)
            previous, node = node, self.rng.choice(options)
            target = self.nodes[node]
            length = metres_between(here, target)
            travelled = leftover
            while travelled <= length:
                f = travelled / length
                yield (here[0] + (target[0] - here[0]) * f, here[1] + (target[1] - here[1]) * f)
                travelled += step
            leftover = travelled - length
            here = target
            if self.rng.random() < 0.2:
                speed = self.rng.uniform(1.3, 1.7)
                step = speed * FIX_EVERY_S


@dataclass
class Day:
    mutations: list[dict]            # wire mutations, mids from 1
    photos: dict[str, bytes]         # sha256 -> bytes
    patrol_id: str
    point_ids: set[str]
    punch_ids: set[str]
    report_ids: set[str]
    photo_ids: set[str]
    jitter_fixes: int
    fixes_skipped: int
    outside_punches: int
    span: tuple[datetime, datetime]
    counts: Counter = field(default_factory=Counter)


def build_day(boundary: dict, categories: list[str], photo_bytes: list[bytes], seed: int,
              now: datetime) -> Day:
    """The outbox after a day offline, as the PWA's screens fill it (see the module doc)."""
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    polygon = shapely.geometry.shape(boundary)
    centre = polygon.representative_point()
    per_lon, per_lat = metres_per_degree(centre.y)

    # The last full working day in the city: 08:25 punch-in, patrol 08:45 → 16:45, 17:35 out.
    local_now = now.astimezone(CITY_ZONE)
    day = local_now.date() if local_now.hour >= 18 else local_now.date() - timedelta(days=1)
    start = datetime(day.year, day.month, day.day, 8, 45, tzinfo=CITY_ZONE).astimezone(UTC)

    events: list[tuple[datetime, int, str, str, dict]] = []  # (when, order, collection, op, fields)
    seq = iter(range(10**9))

    def add(when: datetime, collection: str, op: str, record_id: str, fields: dict) -> None:
        events.append((when, next(seq), collection, op, {"id": record_id, "fields": fields}))

    patrol_id = str(uuid.uuid4())
    add(start, "patrols", "create", patrol_id, {"started_at": iso(start)})

    # Fixes every 5 s; the GPS error drifts (AR(1)), as a real receiver's does.
    walk = Streets(polygon, rng).walk()
    err = np.zeros(2)
    points: list[tuple[datetime, float, float, float]] = []
    last_kept = None
    skipped = jitter = 0
    when = start
    while len(points) < TRACK_POINTS:
        when += timedelta(seconds=FIX_EVERY_S)
        lon, lat = next(walk)
        err = 0.9 * err + np_rng.normal(0, 0.9, 2)
        accuracy = float(np.clip(np_rng.lognormal(math.log(7), 0.35), 3, 30))
        draw = rng.random()
        if draw < 0.004:    # a coarse fix (indoors, under trees): its accuracy says so
            accuracy = rng.uniform(60, 180)
            err_m = np_rng.normal(0, accuracy / 2, 2)
            jitter += 1
        elif draw < 0.006:  # a wild jump that claims to be good: the speed check catches it
            accuracy = rng.uniform(15, 40)
            err_m = np_rng.normal(0, 250, 2)
            jitter += 1
        else:
            err_m = err
        lon, lat = lon + err_m[0] / per_lon, lat + err_m[1] / per_lat
        recorded = when + timedelta(milliseconds=rng.randint(0, 999))
        if (last_kept and metres_between(last_kept[1:3], (lon, lat)) < MIN_MOVE_M
                and (recorded - last_kept[0]).total_seconds() < MIN_INTERVAL_S):
            skipped += 1  # patrol.js drops it before it reaches the outbox
            continue
        last_kept = (recorded, lon, lat)
        points.append((recorded, lat, lon, float32(accuracy)))
    end = points[-1][0] + timedelta(seconds=2)
    point_ids = set()
    for recorded, lat, lon, accuracy in points:
        point_id = str(uuid.uuid4())
        point_ids.add(point_id)
        add(recorded, "track_points", "create", point_id, {
            "patrol_id": patrol_id, "lat": lat, "lon": lon, "accuracy_m": accuracy,
            "recorded_at": iso(recorded)})
    add(end, "patrols", "update", patrol_id, {"ended_at": iso(end)})

    def position_at(moment: datetime) -> tuple[float, float]:
        index = min(range(len(points)), key=lambda k: abs((points[k][0] - moment).total_seconds()))
        return points[index][1], points[index][2]

    # Punches: in at 08:25, out at 17:35, in-out pairs between; lunch (out, in) just
    # outside the grid, with a reason, as the attendance screen asks for.
    day_in = start - timedelta(minutes=20)
    day_out = end + timedelta(minutes=50)
    punch_ids, outside = set(), 0
    for k in range(PUNCHES):
        moment = day_in + (day_out - day_in) * k / (PUNCHES - 1) + timedelta(seconds=rng.randint(0, 40))
        lat, lon = position_at(moment)
        fields = {"kind": "in" if k % 2 == 0 else "out", "lat": lat, "lon": lon,
                  "accuracy_m": float32(rng.uniform(4, 16)), "punched_at": iso(moment)}
        if k in (9, 10):  # lunch: 150 m east of the grid
            fields["lon"] = polygon.bounds[2] + 150 / per_lon
            fields["lat"] = centre.y
            fields["reason"] = "午饭在网格外的餐馆" if k == 9 else "午饭后返回网格"
            outside += 1
        punch_id = str(uuid.uuid4())
        punch_ids.add(punch_id)
        add(moment, "attendance", "create", punch_id, fields)

    # Reports: spread over the patrol; photos taken just before saving; the report's create,
    # then one `photos` create per photo (report-edit.js).
    photos: dict[str, bytes] = {}
    report_ids, photo_ids = set(), set()
    moments = sorted(start + timedelta(seconds=rng.uniform(300, (end - start).total_seconds() - 300))
                     for _ in range(REPORTS))
    for r, moment in enumerate(moments):
        fix_lat, fix_lon = position_at(moment)
        # The pin, nudged onto the case; the photos keep the phone's fix (report-edit.js).
        lat = fix_lat + rng.gauss(0, 3) / per_lat
        lon = fix_lon + rng.gauss(0, 3) / per_lon
        hashes, taken = [], []
        for p in range(PHOTOS_PER_REPORT):
            data = photo_bytes[r * PHOTOS_PER_REPORT + p]
            sha = hashlib.sha256(data).hexdigest()
            photos[sha] = data
            hashes.append(sha)
            taken.append(moment - timedelta(seconds=rng.randint(20, 90) - 20 * p))
        report_id = str(uuid.uuid4())
        report_ids.add(report_id)
        add(moment, "reports", "create", report_id, {
            "category": rng.choice(categories), "description": rng.choice(DESCRIPTIONS),
            "lat": lat, "lon": lon, "photos": hashes, "reported_at": iso(moment)})
        for sha, taken_at in zip(hashes, taken, strict=True):
            photo_id = str(uuid.uuid4())
            photo_ids.add(photo_id)
            add(moment + timedelta(milliseconds=5), "photos", "create", photo_id, {
                "sha256": sha, "record_collection": "reports", "record_id": report_id,
                "taken_at": iso(taken_at), "lat": fix_lat, "lon": fix_lon})

    mutations = []
    counts = Counter()
    for mid, (moment, _, collection, op, item) in enumerate(sorted(events, key=lambda e: e[:2]), 1):
        # store.addMutation(): key order as the phone's object, client_time a moment later.
        mutations.append({"mid": mid, "collection": collection, "id": item["id"], "op": op,
                          "base_version": None if op == "create" else 1, "fields": item["fields"],
                          "client_time": iso(moment + timedelta(milliseconds=rng.randint(3, 40)))})
        counts[f"{collection} {op}"] += 1
    return Day(mutations, photos, patrol_id, point_ids, punch_ids, report_ids, photo_ids,
               jitter, skipped, outside, (start, end), counts)


def push_batches(pending: list[dict], max_count: int = PUSH_MAX_COUNT,
                 max_chars: int = PUSH_MAX_CHARS) -> list[dict]:
    """The first of backoff.js batches(pending, maxCount, maxBytes): what one push sends."""
    batch, size = [], 0
    for mutation in pending:
        length = js_len(mutation)
        if batch and (len(batch) >= max_count or size + length > max_chars):
            break
        batch.append(mutation)
        size += length
    return batch


# -- HTTP, counted at the socket ----------------------------------------------------------------

@dataclass
class Traffic:
    requests: int = 0
    connections: int = 0
    sent: int = 0
    received: int = 0
    plain_sent: int = 0       # request bodies before gzip
    plain_received: int = 0   # answer bodies after gunzip
    wall: float = 0.0
    server: float = 0.0
    server_cpu: float = 0.0
    statuses: Counter = field(default_factory=Counter)

    @property
    def wire(self) -> int:
        return self.sent + self.received


class CountingSocket(socket.socket):
    """A TCP socket that adds what goes through it to the phone's current phase."""

    def sendall(self, data, *args):
        self.phone.traffic[self.phone.phase].sent += len(data)
        return super().sendall(data, *args)

    def send(self, data, *args):
        sent = super().send(data, *args)
        self.phone.traffic[self.phone.phase].sent += sent
        return sent

    def recv_into(self, buffer, nbytes=0, flags=0):
        got = super().recv_into(buffer, nbytes, flags)
        self.phone.traffic[self.phone.phase].received += got
        return got

    def recv(self, bufsize, flags=0):
        data = super().recv(bufsize, flags)
        self.phone.traffic[self.phone.phase].received += len(data)
        return data


class CountingConnection(http.client.HTTPConnection):
    """http.client with our socket; it reconnects by itself when the server closes."""

    phone: Phone

    def connect(self):
        sock = CountingSocket(socket.AF_INET, socket.SOCK_STREAM)
        sock.phone = self.phone
        sock.settimeout(self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect((self.host, self.port))
        self.sock = sock
        self.phone.traffic[self.phone.phase].connections += 1


class Phone:
    """One install of the PWA: its session, client id, cursor, and what it holds."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.connection = CountingConnection(parts.hostname, parts.port, timeout=TIMEOUT)
        self.connection.phone = self
        self.phase = "setup"
        self.traffic: dict[str, Traffic] = defaultdict(Traffic)
        self.client_id = str(uuid.uuid4())
        self.cursor: str | None = None
        self.records: dict[tuple[str, str], dict] = {}
        self.access = self.refresh_token = None
        self.user: dict = {}

    def request(self, method: str, path: str, *, body: bytes | None = None,
                content_type: str | None = None, token: str | None = None,
                expected: tuple[int, ...] = (200,),
                gzip_body: bool = False) -> tuple[int, bytes, http.client.HTTPMessage]:
        headers = dict(BROWSER_HEADERS)
        token = token or self.access
        if token:
            headers["Authorization"] = f"Bearer {token}"
        traffic = self.traffic[self.phase]
        if body is not None:
            headers["Content-Type"] = content_type or "application/json"
            headers["Origin"] = f"http://{self.connection.host}:{self.connection.port}"
            traffic.plain_sent += len(body)
            if gzip_body:
                body = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
                headers["Content-Encoding"] = "gzip"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            answer = self.connection.getresponse()
            data = answer.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            raise
        traffic.wall += time.perf_counter() - started
        traffic.requests += 1
        traffic.statuses[f"{method} {answer.status}"] += 1
        encoding = answer.getheader("Content-Encoding") or "identity"
        expect(encoding in ("zstd", "gzip", "identity"), f"{method} {path}: answered in {encoding}")
        if encoding == "gzip":
            data = gzip.decompress(data)
        elif encoding == "zstd":
            data = zstd.decompress(data)
        traffic.plain_received += len(data)
        expect(answer.status in expected, f"{method} {path}: {answer.status} {data[:400]!r}")
        return answer.status, data, answer.headers

    def json(self, method: str, path: str, payload=None, **kwargs) -> dict:
        body = None if payload is None else js_json(payload)
        if body is not None and kwargs.pop("gzip_large", False):
            # shrink.js jsonBody() measures the JSON text in characters, as batches() does.
            kwargs["gzip_body"] = js_len(payload) >= GZIP_MIN_CHARS
        _, data, _ = self.request(method, path, body=body, **kwargs)
        return json.loads(data)

    # -- what sync-client.js and api.js do ----------------------------------------------

    def sign_in(self) -> None:
        body = self.json("POST", "/api/v1/auth/login", {"username": USERNAME, "password": PASSWORD})
        self.access, self.refresh_token, self.user = (body["access_token"], body["refresh_token"],
                                                      body["user"])

    def refresh(self) -> None:
        """api.js authed(): the access token ran out during the day; one refresh first."""
        body = self.json("POST", "/api/v1/auth/refresh", token=self.refresh_token)
        self.access = body["access_token"]

    def pull_all(self) -> int:
        pulled = 0
        while True:
            query = {"client_id": self.client_id, "limit": str(PULL_LIMIT)}
            if self.cursor:
                query["cursor"] = self.cursor
            page = self.json("GET", f"/api/v1/sync/pull?{urlencode(query)}")
            for change in page["changes"]:
                key = (change["collection"], change["id"])
                if change.get("deleted"):
                    self.records.pop(key, None)
                elif change["version"] >= self.records.get(key, {}).get("version", 0):
                    self.records[key] = change["record"]
            pulled += len(page["changes"])
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return pulled

    def push_outbox(self, outbox: list[dict]) -> Counter:
        """pushOutbox(): first batch of what is left, until the server's last_mid covers all."""
        statuses = Counter()
        pending = list(outbox)
        while pending:
            batch = push_batches(pending)
            body = self.json("POST", "/api/v1/sync/push", {
                "client_id": self.client_id, "sent_at": iso(datetime.now(UTC)), "mutations": batch},
                gzip_large=True)
            for result in body["results"]:
                statuses[result["status"]] += 1
                if result["status"] == "rejected":
                    raise BenchError(f"mid {result['mid']} ({result['collection']}) rejected: "
                                     f"{result.get('error')}")
                if result.get("record"):
                    self.records[(result["collection"], result["id"])] = result["record"]
            expect(body["last_mid"] >= batch[0]["mid"],
                   f"the server applied none of mids {batch[0]['mid']}…: last_mid {body['last_mid']}")
            pending = [m for m in pending if m["mid"] > body["last_mid"]]
        return statuses

    def upload_blobs(self, blobs: dict[str, bytes]) -> Counter:
        """uploadBlobs(): HEAD each (IndexedDB lists them by hash), PUT what the server lacks."""
        outcome = Counter()
        for sha in sorted(blobs):
            path = f"/api/v1/blobs/{sha}"
            status, _, _ = self.request("HEAD", path, expected=(200, 404))
            if status == 404:
                status, _, _ = self.request("PUT", path, body=blobs[sha],
                                            content_type=blob_type(blobs[sha]), expected=(200, 201))
            outcome[status] += 1
        return outcome


# -- the server, with a stopwatch --------------------------------------------------------------

class TimingLog:
    """The lines bench/timed_wsgi.py appends: one per request, written as its answer ends."""

    def __init__(self, path: Path):
        self.path = path
        self.seen = 0

    def lines(self) -> list[list[str]]:
        if not self.path.exists():
            return []
        # The readiness probes of bench/servers.py serve() are no part of any phase.
        return [fields for fields in (line.split("\t") for line in self.path.read_text().splitlines())
                if fields[1] != "/healthz"]

    def take(self, count: int, timeout: float = 10) -> list[list[str]]:
        """The next `count` requests' lines (a line may land a moment after the answer)."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.lines()
            if len(lines) >= self.seen + count or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        expect(len(lines) >= self.seen + count,
               f"timing log: {len(lines) - self.seen} lines for {count} requests")
        taken = lines[self.seen:self.seen + count]
        self.seen += count
        return taken


def start_server(stack: contextlib.ExitStack, folder: Path, database_url: str, *, workers: int,
                 profile_dir: Path | None, worker_class: str = "gthread",
                 ) -> tuple[str, TimingLog, dict]:
    """bench/servers.py start_ours(), serving bench.timed_wsgi:app instead of wsgi:app."""
    env = our_env(folder, database_url)
    prepare_database(env)
    timing = folder / "timing.tsv"
    env["CIVICGRID_TIMING_LOG"] = str(timing)
    if profile_dir:
        env["CIVICGRID_PROFILE_DIR"] = str(profile_dir)
    port = free_port()
    serve(stack, [BIN / "gunicorn", "--workers", workers, "--bind", f"127.0.0.1:{port}",
                  "--worker-class", worker_class,
                  # (With threads, gunicorn makes any worker class gthread.)
                  *(["--threads", 32] if worker_class == "gthread" else []),
                  "--access-logfile", "-", "bench.timed_wsgi:app"],
          env=env, cwd=ROOT, log=folder / "gunicorn.log",
          ready_url=f"http://127.0.0.1:{port}/healthz", what="gunicorn")
    return f"http://127.0.0.1:{port}", TimingLog(timing), env


# -- one database ------------------------------------------------------------------------------

PHASES = ("auth", "push", "pull", "blobs")


def run_day(base: str, timing: TimingLog, env: dict, photo_bytes: list[bytes], seed: int) -> dict:
    phone = Phone(base)
    # Before the day: signed in and synced once (a returning phone holds its cursor).
    phone.sign_in()
    snapshot = phone.pull_all()
    timing.take(phone.traffic["setup"].requests)
    grid_id = (phone.user.get("region") or {}).get("id")
    grid = phone.records.get(("regions", grid_id))
    expect(grid is not None and grid.get("boundary"), f"worker1's grid {grid_id} not in the snapshot")
    categories = sorted(r["code"] for (c, _), r in phone.records.items()
                        if c == "categories" and not any(
                            o.get("parent_code") == r["code"] for (k, _), o in phone.records.items()
                            if k == "categories"))
    expect(bool(categories), "no categories in the snapshot")
    day = build_day(grid["boundary"], categories, photo_bytes, seed, datetime.now(UTC))
    log(f"  snapshot {snapshot} records; the day: {len(day.mutations):,} mutations "
        f"({', '.join(f'{k} {v:,}' for k, v in sorted(day.counts.items()))}), "
        f"{len(day.photos)} photos, {mb(sum(map(len, day.photos.values())))}")

    # Back online: one sync, as syncAs() does it.
    outcome: dict = {}
    started = time.perf_counter()
    phone.phase = "auth"
    phone.refresh()
    phone.phase = "push"
    outcome["push"] = phone.push_outbox(day.mutations)
    phone.phase = "pull"
    outcome["pulled_first"] = phone.pull_all()
    phone.phase = "blobs"
    outcome["blobs"] = phone.upload_blobs(day.photos)
    phone.phase = "pull"
    outcome["pulled_after_blobs"] = phone.pull_all()
    wall = time.perf_counter() - started
    lines = timing.take(sum(phone.traffic[p].requests for p in PHASES))
    for method, path, _status, seconds, cpu, _pid in lines:
        phase = ("auth" if "/auth/" in path else "push" if path.endswith("/sync/push") else
                 "pull" if path.endswith("/sync/pull") else "blobs" if "/blobs/" in path else "?")
        expect(phase in PHASES, f"unexpected request in the sync: {method} {path}")
        phone.traffic[phase].server += float(seconds)
        phone.traffic[phase].server_cpu += float(cpu)
    push_times = sorted(float(line[3]) for line in lines if line[1].endswith("/sync/push"))

    check = verify(base, day, phone)
    timing.take(check["requests"])
    views = view_thumbnails(base, timing, day)
    return {"traffic": {p: phone.traffic[p] for p in PHASES}, "setup": phone.traffic["setup"],
            "wall": wall, "outcome": outcome, "day": day, "check": check,
            "push_times": push_times, "snapshot": snapshot, "views": views}


def view_thumbnails(base: str, timing: TimingLog, day: Day) -> dict:
    """Each of the day's photos looked at once from the server, as a report's detail shows it
    on any device but the one that took it (pwa/app/photos.js photoSource). No part of the
    sync or its goal; it shows the server's work on photos that happens after the upload."""
    viewer = Phone(base)
    viewer.phase = "views"
    viewer.sign_in()
    for sha in sorted(day.photos):
        viewer.request("GET", f"/api/v1/blobs/{sha}/thumbnail")
    lines = [line for line in timing.take(viewer.traffic["views"].requests)
             if line[1].endswith("/thumbnail")]
    return {"requests": len(lines), "server": sum(float(line[3]) for line in lines),
            "server_cpu": sum(float(line[4]) for line in lines)}


def verify(base: str, day: Day, phone: Phone) -> dict:
    """A fresh install of worker1 pulls from scratch: is the whole day on the server?"""
    fresh = Phone(base)
    fresh.phase = "check"
    fresh.sign_in()
    fresh.pull_all()
    held: dict[str, dict[str, dict]] = defaultdict(dict)
    for (collection, record_id), record in fresh.records.items():
        held[collection][record_id] = record
    points = {i: r for i, r in held["track_points"].items() if r.get("patrol_id") == day.patrol_id}
    expect(set(points) == day.point_ids,
           f"track points: server has {len(points)} of {len(day.point_ids)}")
    patrol = held["patrols"].get(day.patrol_id)
    expect(patrol is not None and patrol.get("ended_at") and (patrol.get("distance_m") or 0) > 0,
           f"patrol not complete on the server: {patrol}")
    punches = {i: r for i, r in held["attendance"].items() if i in day.punch_ids}
    expect(len(punches) == PUNCHES, f"punches: server has {len(punches)} of {PUNCHES}")
    outside = sum(r.get("inside_fence") is False for r in punches.values())
    expect(outside == day.outside_punches,
           f"punches outside the fence: {outside}, expected {day.outside_punches}")
    reports = {i: r for i, r in held["reports"].items() if i in day.report_ids}
    expect(len(reports) == REPORTS, f"reports: server has {len(reports)} of {REPORTS}")
    coded = [r for r in reports.values() if r.get("code") and len(r.get("photos") or []) == 3]
    expect(len(coded) == REPORTS, f"reports with a code and 3 photos: {len(coded)} of {REPORTS}")
    photos = {i: r for i, r in held["photos"].items() if i in day.photo_ids}
    expect(len(photos) == len(day.photo_ids), f"photos: {len(photos)} of {len(day.photo_ids)}")
    complete = [r for r in photos.values() if r.get("has_blob") and r.get("width")]
    expect(len(complete) == len(photos), f"photos with their blob: {len(complete)} of {len(photos)}")
    # The phone that synced holds the same: its final pull brought has_blob back.
    mine = [r for (c, i), r in phone.records.items() if c == "photos" and i in day.photo_ids]
    expect(len(mine) == len(photos) and all(r.get("has_blob") for r in mine),
           "the syncing phone does not hold every photo as uploaded")
    for sha, data in day.photos.items():
        _, _, headers = fresh.request("HEAD", f"/api/v1/blobs/{sha}")
        expect(headers.get("Content-Length") == str(len(data)),
               f"blob {sha[:12]}…: {headers.get('Content-Length')} bytes on the server, {len(data)} sent")
    for sha in sorted(day.photos)[:3]:  # a few byte for byte
        _, data, _ = fresh.request("GET", f"/api/v1/blobs/{sha}")
        expect(hashlib.sha256(data).hexdigest() == sha, f"blob {sha[:12]}… differs")
    jitter = sum(bool(r.get("is_jitter")) for r in points.values())
    return {"requests": fresh.traffic["check"].requests,
            "points": len(points), "jitter_flagged": jitter, "patrol": patrol,
            "punches": len(punches), "outside": outside, "reports": len(coded),
            "codes": sorted(r["code"] for r in coded)[:2], "photos": len(complete),
            "blobs": len(day.photos)}


# -- report ------------------------------------------------------------------------------------

def print_result(database: str, result: dict) -> tuple[bool, bool]:
    traffic: dict[str, Traffic] = result["traffic"]
    total = Traffic()
    for t in traffic.values():
        for name in ("requests", "connections", "sent", "received", "plain_sent", "plain_received",
                     "wall", "server", "server_cpu"):
            setattr(total, name, getattr(total, name) + getattr(t, name))
    day, check, outcome = result["day"], result["check"], result["outcome"]
    print(f"\n{database}: the day synced in one go")
    print(f"  {'phase':<7} {'requests':>8} {'conns':>6} {'sent':>11} {'received':>11} "
          f"{'server s':>9} {'(CPU s)':>8} {'client s':>9}   bodies before gzip: sent, received")
    for name in (*PHASES, "total"):
        t = total if name == "total" else traffic[name]
        print(f"  {name:<7} {t.requests:>8} {t.connections:>6} {mb(t.sent):>11} {mb(t.received):>11} "
              f"{t.server:>9.2f} {t.server_cpu:>8.2f} {t.wall:>9.2f}   "
              f"{mb(t.plain_sent):>11} {mb(t.plain_received):>11}")
    pushes = result["push_times"]
    print(f"  wall time of the whole sync {result['wall']:.2f} s; {len(pushes)} pushes, "
          f"{pushes[0]:.3f}–{pushes[-1]:.3f} s each on the server; push results "
          f"{dict(outcome['push'])}; pulled {outcome['pulled_first']:,} changes after the push "
          f"and {outcome['pulled_after_blobs']:,} after the photos; blobs PUT → "
          f"{dict(outcome['blobs'])}")
    print(f"  checked by a fresh install: {check['points']:,} track points "
          f"({check['jitter_flagged']} flagged jitter; {day.jitter_fixes} jitter fixes sent), patrol "
          f"{check['patrol']['distance_m'] / 1000:.1f} km in {check['patrol']['duration_s'] / 3600:.2f} h, "
          f"{check['punches']} punches ({check['outside']} outside the fence), {check['reports']} "
          f"reports with codes (e.g. {', '.join(check['codes'])}) and 3 photos each, "
          f"{check['photos']} photos with their blob, {check['blobs']} blobs on the server")
    views = result["views"]
    print(f"  afterwards, each photo looked at once ({views['requests']} thumbnails, no part of the "
          f"sync): {views['server']:.2f} s on the server (CPU {views['server_cpu']:.2f} s)")
    server_ok = total.server < SERVER_GOAL_S
    wire_ok = total.wire < WIRE_GOAL_BYTES
    print(f"  server time {total.server:.2f} s — goal < {SERVER_GOAL_S:.0f} s: "
          f"{'PASS' if server_ok else 'MISS'}")
    print(f"  on the wire {mb(total.wire)} (sent {mb(total.sent)}, received {mb(total.received)}) — "
          f"goal < {WIRE_GOAL_BYTES / 1e6:.0f} MB: {'PASS' if wire_ok else 'MISS'}")
    return server_ok, wire_ok


def print_photos(manifest: list[dict]) -> None:
    sizes = [m["bytes"] for m in manifest]
    n = len(sizes)
    total = sum(sizes)
    steps = Counter((m["size"][0] if m["size"][0] >= m["size"][1] else m["size"][1], m["quality"])
                    for m in manifest)
    print(f"\nPhotos: {n}, shrunk as photos.js does in Chrome from {CAMERA_SIZE[0]}×{CAMERA_SIZE[1]} "
          f"(WebP, budget {PHOTO_BUDGET_BYTES // 1024} KB): average {total / n / 1024:.0f} KB "
          f"({min(sizes) / 1024:.0f}–{max(sizes) / 1024:.0f} KB), {mb(total)} in all; "
          f"{sum(s > PHOTO_BUDGET_BYTES for s in sizes)} over the budget; longest side and quality: "
          + ", ".join(f"{side} px 0.{q} × {c}" for (side, q), c in sorted(steps.items(), reverse=True)))
    before = sum(m["before"] for m in manifest)
    jpeg = sum(m["jpeg_budget"] for m in manifest)
    jpeg_1280 = sum(max(m["jpeg_budget_size"]) <= 1280 for m in manifest)
    print(f"  Before (JPEG 0.75 → 0.5 until ≤ 300 KB at 1600 px) the same photos averaged "
          f"{before / n / 1024:.0f} KB ({mb(before)}). In a browser without a WebP encoder "
          f"(JPEG down the same ladder) they average {jpeg / n / 1024:.0f} KB ({mb(jpeg)}), "
          f"{jpeg_1280} of {n} at 1280 px.")


def print_profile(folder: Path, database: str, top: int = 40) -> None:
    files = [str(p) for p in folder.glob("*.prof")]
    if not files:
        return
    stats = pstats.Stats(*files, stream=sys.stdout)
    kept = Path(tempfile.gettempdir()) / f"civicgrid-day-bench-{database}.prof"
    stats.dump_stats(kept)
    print(f"\nServer profile on {database} (cProfile in {len(files)} gunicorn workers, the whole "
          f"run with its checks; inflated by the profiler; all of it in {kept}):")
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


# -- main ------------------------------------------------------------------------------------

def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (make run: 4)")
    parser.add_argument("--worker-class", default="gthread",
                        help="gunicorn worker class: gthread keeps connections alive, as "
                             "make run serves; sync closes each after one request")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="a database to CREATE DATABASE from")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true",
                        help="run the server under cProfile and print where its time goes")
    args = parser.parse_args()
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    signal.signal(signal.SIGTERM, _interrupt)

    photo_bytes, manifest = photo_set(REPORTS * PHOTOS_PER_REPORT, args.seed)
    results, goals = {}, []
    with contextlib.ExitStack() as stack:
        root = temp_dir(stack, "civicgrid-day-bench-")
        for database in databases:
            with contextlib.ExitStack() as server:  # one server at a time
                folder = root / database
                folder.mkdir()
                url = (f"sqlite:///{folder / 'civicgrid.sqlite'}" if database == "sqlite" else
                       pg_database(server, "civicgrid_day", args.pg_url)
                       .replace("postgresql://", "postgresql+psycopg://", 1))
                profile_dir = None
                if args.profile:
                    profile_dir = folder / "profile"
                    profile_dir.mkdir()
                log(f"{database}: gunicorn ({args.workers} workers), demo city …")
                base, timing, env = start_server(server, folder, url, workers=args.workers,
                                                 worker_class=args.worker_class,
                                                 profile_dir=profile_dir)
                started = time.perf_counter()
                results[database] = run_day(base, timing, env, photo_bytes, args.seed)
                log(f"  done in {time.perf_counter() - started:.0f} s")
                if profile_dir:
                    print_profile(profile_dir, database)

    day = next(iter(results.values()))["day"]
    start, end = day.span
    print(f"\nOne worker's day, synced in one go: worker1, {len(day.mutations):,} mutations — "
          f"a patrol of {len(day.point_ids):,} track points ({start.astimezone(CITY_ZONE):%H:%M}–"
          f"{end.astimezone(CITY_ZONE):%H:%M}, a fix every {FIX_EVERY_S} s, {day.fixes_skipped} "
          f"fixes dropped by the phone's 5 m filter), {PUNCHES} punches, {REPORTS} reports with "
          f"{PHOTOS_PER_REPORT} photos each; {args.workers} gunicorn {args.worker_class} workers "
          "over loopback HTTP; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}.")
    print_photos(manifest)
    for database, result in results.items():
        goals.extend(print_result(database, result))
    if args.profile:
        print("\n(--profile: server times above include cProfile's overhead)")
    print(f"\nall checks passed; goals {'all met' if all(goals) else 'NOT all met'}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
