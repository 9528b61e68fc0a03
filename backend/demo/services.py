"""The demo city: part of 临沂 (Linyi) around 35.05 N, 118.35 E, with the demo accounts.

Regions go through the same importer as a real city's file, so the demo is validated
exactly as production data is. Each step is skipped when already done, so a load
that was interrupted completes on the next `make run`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from sqlalchemy import select

from backend.accounts import services as accounts
from backend.accounts.models import User
from backend.attendance import services as attendance
from backend.attendance.models import Shift
from backend.common.settings import setting
from backend.demo import case_history, certificates, hall_history
from backend.departments import services as departments
from backend.departments.models import Department
from backend.extensions import db
from backend.incidents import services as incidents
from backend.incidents.models import Category
from backend.posts import services as posts
from backend.posts.models import Post
from backend.queue import services as queue
from backend.queue.models import Hall
from backend.regions.importer import RawFeature, import_regions
from backend.regions.models import Region
from backend.regions.synthetic import lattice_city

CITY = ("371300", "临沂市")
# A 6 × 4 lattice of cells of about 550 m × 550 m; row 0 is the south edge.
LATTICE = {"origin_lon": 118.332, "origin_lat": 35.040, "cell_lon": 0.006, "cell_lat": 0.005,
           "rows": 4, "cols": 6}
# North half 兰山区, south half 罗庄区; west and east streets in each; a community per row.
DISTRICTS = {"north": ("371302", "兰山区"), "south": ("371311", "罗庄区")}
STREETS = {
    ("north", "west"): ("371302001", "兰山街道", ["西关社区", "南坛社区"]),
    ("north", "east"): ("371302002", "银雀山街道", ["银雀山社区", "砚池社区"]),
    ("south", "west"): ("371311001", "罗庄街道", ["沈泉社区", "罗庄社区"]),
    ("south", "east"): ("371311002", "盛庄街道", ["册山社区", "盛庄社区"]),
}
GRID_NUMERALS = "一二三"

# The city's default shift (班次), for every grid: 08:30–17:30 with ten minutes' grace.
DEMO_SHIFT = {"starts_at": time(8, 30), "ends_at": time(17, 30), "grace_min": 10}

# Part of the city-management catalogue (城市管理部件和事件), with time limits in hours.
DEMO_CATEGORIES = (
    ("road.pothole", "道路破损", "Damaged road", 48),
    ("road.manhole", "井盖缺失破损", "Missing or broken manhole cover", 4),
    ("sanitation.garbage", "垃圾暴露", "Exposed garbage", 8),
    ("sanitation.overflow", "垃圾桶满溢", "Overflowing bin", 12),
    ("order.street_vendor", "占道经营", "Street vending on the road", 24),
    ("order.illegal_parking", "违规停车", "Illegal parking", 24),
    ("facility.streetlight", "路灯不亮", "Street light out", 72),
    ("greenery.damaged", "绿化损坏", "Damaged greenery", 72),
    ("safety.hazard", "安全隐患", "Safety hazard", 24),
    ("dispute.neighbour", "邻里纠纷", "Neighbour dispute", 168),
)
# Their main classes (大类): headings the phone groups the catalogue under, not choices.
DEMO_CATEGORY_GROUPS = (
    ("road", "道路交通", "Roads"), ("sanitation", "市容环卫", "Sanitation"),
    ("order", "街面秩序", "Street order"), ("facility", "公用设施", "Public facilities"),
    ("greenery", "园林绿化", "Greenery"), ("safety", "公共安全", "Public safety"),
    ("dispute", "矛盾纠纷", "Disputes"),
)
# The demo hall never closes, so that a newcomer can take a number at any hour; a real hall
# sets its hours on the console's hall page. Windows 1 and 2 are integrated windows (综合窗口).
DEMO_HALL = {"name": "临沂市政务服务中心", "lat": 35.0525, "lon": 118.3405, "fence_radius_m": 200.0,
             "address": "临沂市兰山区北京路 9 号",
             "services": [("A", "不动产登记"), ("B", "企业开办"), ("C", "社保医保"), ("D", "户籍证照")],
             "avg_service_min": {"A": 12.0, "B": 15.0, "C": 6.0, "D": 8.0},
             "opening_hours": {str(day): [["00:00", "24:00"]] for day in range(1, 8)},
             "windows": [(1, ["A", "B", "C", "D"]), (2, ["A", "B"]), (3, ["C"]), (4, ["D"])]}
DEMO_HALL_STAFF = {"clerks": {"clerk1": 1, "clerk2": 2, "clerk3": 3, "clerk4": 4},
                   "managers": ("manager1",)}

# A post (岗位) in worker3's grid (砚池社区第三网格), worker3 on it: their fence is this circle.
DEMO_POST = {"name": "学校门口", "grid_code": "371302002002003", "lat": 35.0576, "lon": 118.3658,
             "radius_m": 80.0, "workers": ("worker3",)}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    roles: tuple[str, ...]
    region_code: str | None = None
    department_code: str | None = None


DEMO_ACCOUNTS = (
    DemoAccount("admin", "系统管理员", ("admin",)),
    DemoAccount("supervisor", "市指挥中心", ("supervisor",), "371300"),
    DemoAccount("street1", "兰山街道指挥分中心", ("supervisor",), "371302001"),
    # worker1 in 兰山街道 (north-west), worker2 in 罗庄街道 (south-west): different streets.
    DemoAccount("worker1", "张伟", ("worker",), "371302001002001"),
    DemoAccount("worker2", "李娜", ("worker",), "371311001001002"),
    DemoAccount("worker3", "王强", ("worker",), "371302002002003"),
    DemoAccount("clerk1", "王芳", ("clerk",)),
    DemoAccount("clerk2", "李明", ("clerk",)),
    DemoAccount("clerk3", "张敏", ("clerk",)),
    DemoAccount("clerk4", "赵刚", ("clerk",)),
    DemoAccount("manager1", "大厅负责人 孙丽", ("hall_manager",)),
    DemoAccount("dept1", "城管局 赵磊", ("department",), department_code="CGJ"),
    DemoAccount("citizen1", "刘洋", ("citizen",)),
    DemoAccount("citizen2", "陈静", ("citizen",)),
    DemoAccount("official1", "市场监管局 周涛", ("official",)),
)


def _cell_chain(row: int, col: int) -> tuple[list[str], dict[str, str]]:
    """Codes from district to grid for one lattice cell, and their names."""
    half = "north" if row >= 2 else "south"
    side = "west" if col < 3 else "east"
    district_code, district_name = DISTRICTS[half]
    street_code, street_name, communities = STREETS[(half, side)]
    community_index = row % 2
    community_code = f"{street_code}{community_index + 1:03d}"
    community_name = communities[community_index]
    grid_index = col % 3
    grid_code = f"{community_code}{grid_index + 1:03d}"
    grid_name = f"{community_name}第{GRID_NUMERALS[grid_index]}网格"
    chain = [district_code, street_code, community_code, grid_code]
    names = {district_code: district_name, street_code: street_name,
             community_code: community_name, grid_code: grid_name}
    return chain, names


def demo_feature_collection() -> dict:
    cells, names = {}, {}
    for row in range(LATTICE["rows"]):
        for col in range(LATTICE["cols"]):
            chain, cell_names = _cell_chain(row, col)
            cells[(row, col)] = chain
            names.update(cell_names)
    return lattice_city(cells=cells, names=names, city_code=CITY[0], city_name=CITY[1],
                        seed=20261123, **LATTICE)


def database_is_empty() -> bool:
    return (db.session.scalar(select(Region.id).limit(1)) is None
            or db.session.scalar(select(User.id).limit(1)) is None)


# Some of the units that handle cases (the seeds name 28), with short codes.
DEMO_DEPARTMENTS = (
    ("CGJ", "城管局"), ("ZJJ", "住建局"), ("SCJGJ", "市场监管局"), ("HBJ", "生态环境局"),
    ("JTJ", "交通运输局"), ("SWJ", "水务局"),
)


def load_demo_city() -> dict:
    """Load whatever of the demo city is missing; returns counts of what was added."""
    added = {"regions": 0, "accounts": 0, "categories": 0, "halls": 0, "shifts": 0, "posts": 0,
             "departments": 0, "cases": 0, "tickets": 0, "certificates": 0}
    if db.session.scalar(select(Region.id).limit(1)) is None:
        features = [RawFeature(index=i, line=i + 1, properties=f["properties"], geometry=f["geometry"])
                    for i, f in enumerate(demo_feature_collection()["features"])]
        summary = import_regions(features, tolerance=setting("REGION_CONTAINMENT_TOLERANCE"))
        added["regions"] = summary.total
    region_ids = {code: id_ for code, id_ in db.session.execute(select(Region.code, Region.id))}
    if db.session.scalar(select(Department.id).limit(1)) is None:
        for code, name in DEMO_DEPARTMENTS:
            departments.add_department(code=code, name=name)
            added["departments"] += 1
    department_ids = {code: id_ for code, id_ in db.session.execute(
        select(Department.code, Department.id))}
    password = setting("DEMO_PASSWORD")
    for account in DEMO_ACCOUNTS:
        if db.session.scalar(select(User.id).where(User.username == account.username)):
            continue
        accounts.add_account(username=account.username, password=password, roles=list(account.roles),
                             display_name=account.display_name,
                             region_id=region_ids.get(account.region_code),
                             department_id=department_ids.get(account.department_code))
        added["accounts"] += 1
    if db.session.scalar(select(Category.id).limit(1)) is None:
        for code, name, name_en in DEMO_CATEGORY_GROUPS:
            incidents.add_category(code=code, name=name, name_en=name_en, time_limit_h=72)
            added["categories"] += 1
        for code, name, name_en, hours in DEMO_CATEGORIES:
            incidents.add_category(code=code, name=name, name_en=name_en, time_limit_h=hours,
                                   parent_code=code.split(".")[0])
            added["categories"] += 1
    if db.session.scalar(select(Hall.id).limit(1)) is None:
        hall = queue.add_hall(**DEMO_HALL)
        users = dict(db.session.execute(select(User.username, User.id)).all())
        for username, number in DEMO_HALL_STAFF["clerks"].items():
            queue.bind_clerk(hall, number, users[username])
        for username in DEMO_HALL_STAFF["managers"]:
            queue.add_manager(hall, users[username])
        added["halls"] += 1
    if db.session.scalar(select(Shift.id).limit(1)) is None and CITY[0] in region_ids:
        attendance.put_shift(region_id=region_ids[CITY[0]], **DEMO_SHIFT)
        added["shifts"] += 1
    if db.session.scalar(select(Post.id).limit(1)) is None and DEMO_POST["grid_code"] in region_ids:
        _add_demo_post()
        added["posts"] += 1
    db.session.commit()
    # Last: the history's cases need the grids, accounts, departments and catalogue above.
    added["cases"] = case_history.load_case_history()
    # The hall's weeks of tickets, ratings and alerts need its windows, clerks and manager.
    added["tickets"] = hall_history.load_hall_history()
    added["certificates"] = certificates.load_demo_certificates()
    return added


def _add_demo_post() -> None:
    grid = db.session.get(Region, db.session.scalar(
        select(Region.id).where(Region.code == DEMO_POST["grid_code"])))
    post = posts.add_post(region=grid, name=DEMO_POST["name"], lat=DEMO_POST["lat"],
                          lon=DEMO_POST["lon"], radius_m=DEMO_POST["radius_m"])
    for username in DEMO_POST["workers"]:
        worker_id = db.session.scalar(select(User.id).where(User.username == username))
        if worker_id is not None:
            posts.put_assignment(post, worker_id)
