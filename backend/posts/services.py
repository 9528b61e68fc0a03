"""Posts (岗位): supervisors and admins place posts in the grids of their scope and put
workers of that grid on them; a worker's post replaces their grid as their fence.

Every write logs the change for sync in its own transaction: phones hold posts and
assignments offline, so that the fence check works without signal.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from backend.accounts import services as accounts
from backend.common import geo
from backend.common.auth import WORKER, RegionScope
from backend.common.time import utcnow
from backend.common.transactions import commit_or_conflict
from backend.errors import Conflict, Invalid, NotFound
from backend.extensions import db
from backend.posts.models import Post, PostAssignment
from backend.posts.sync import assignment_change, post_change
from backend.regions import services as regions
from backend.sync_adapter.services import log_reference_changes


def post_held_by(worker_id: uuid.UUID, grid_path: str | None) -> Post | None:
    """The post a worker bound at this grid path holds there, if any.

    A post outside the worker's current grid (they were moved since) does not count: the
    phone no longer pulls it either, so both sides fall back to the grid.
    """
    assignment = db.session.scalar(select(PostAssignment).where(
        PostAssignment.worker_id == worker_id))
    if assignment is None or not grid_path or assignment.scope_path != grid_path:
        return None
    return db.session.get(Post, assignment.post_id)


def list_posts(scope: RegionScope, region_id: uuid.UUID | None = None) -> list[Post]:
    """Posts in the caller's scope, or in one region's subtree of it, by grid then name."""
    query = select(Post).where(scope.filter(Post.scope_path)).order_by(Post.scope_path, Post.name)
    if region_id is not None:
        region = regions.get_region(scope, region_id)
        query = query.where(Post.scope_path.startswith(region.path, autoescape=True))
    return list(db.session.scalars(query))


def get_post(scope: RegionScope, post_id: uuid.UUID) -> Post:
    """A post the caller may see; anything else is 'not found', whether it exists or not."""
    post = db.session.get(Post, post_id)
    if post is None or not scope.covers(post.scope_path):
        raise NotFound("No such post.")
    return post


def post_workers(posts: list[Post]) -> dict[uuid.UUID, list]:
    """The workers assigned to each of these posts (accounts), by username."""
    by_post: dict[uuid.UUID, list] = {post.id: [] for post in posts}
    ids = list(by_post)
    everything = RegionScope(everything=True)
    for i in range(0, len(ids), 500):
        for assignment in db.session.scalars(select(PostAssignment).where(
                PostAssignment.post_id.in_(ids[i:i + 500]))):
            by_post[assignment.post_id].append(accounts.get_account(everything,
                                                                    assignment.worker_id))
    for workers in by_post.values():
        workers.sort(key=lambda w: w.username)
    return by_post


def describe_post(post: Post, workers: list | None = None) -> dict:
    """A post as the API shows it, with its workers."""
    if workers is None:
        workers = post_workers([post])[post.id]
    return {"id": post.id, "name": post.name, "region_id": post.region_id, "lat": post.lat,
            "lon": post.lon, "radius_m": post.radius_m, "version": post.version,
            "workers": workers, "created_at": post.created_at, "updated_at": post.updated_at}


def describe_posts(posts: list[Post]) -> list[dict]:
    workers = post_workers(posts)
    return [describe_post(post, workers[post.id]) for post in posts]


def _check_point_in_grid(region, lat: float, lon: float) -> None:
    if not geo.fence_verdict(regions.boundary_shape(region), lat, lon)[0]:
        raise Invalid("A post's point must lie inside its grid.", code="post_outside_grid",
                      details={"fields": {"lat": ["outside the grid"], "lon": ["outside the grid"]}})


def _check_name_free(region_id: uuid.UUID, name: str, post_id: uuid.UUID | None = None) -> None:
    query = select(Post.id).where(Post.region_id == region_id, Post.name == name)
    if post_id is not None:
        query = query.where(Post.id != post_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise Conflict(f"The grid already has a post named '{name}'.", code="post_name_taken")


def create_post(scope: RegionScope, *, name: str, region_id: uuid.UUID, lat: float, lon: float,
                radius_m: float) -> dict:
    """设岗: a post in a grid of the caller's scope, its point inside the grid."""
    region = regions.get_region(scope, region_id)
    if region.level != "grid":
        raise Invalid("A post lies in a grid, not in a larger region.", code="post_not_in_grid")
    name = name.strip()
    _check_point_in_grid(region, lat, lon)
    _check_name_free(region.id, name)
    post = add_post(region=region, name=name, lat=lat, lon=lon, radius_m=radius_m)
    commit_or_conflict(f"The grid already has a post named '{name}'.", "post_name_taken")
    return describe_post(post, [])


def add_post(*, region, name: str, lat: float, lon: float, radius_m: float) -> Post:
    """Add a post to a grid in the caller's transaction, logged for sync (no checks:
    callers check)."""
    post = Post(id=uuid.uuid4(), name=name, region_id=region.id, scope_path=region.path,
                lat=lat, lon=lon, radius_m=radius_m, version=1)
    db.session.add(post)
    log_reference_changes("posts", [post_change(post)])
    return post


def update_post(scope: RegionScope, post_id: uuid.UUID, changes: dict) -> dict:
    """Rename, move or resize a post; the point stays inside its grid."""
    post = get_post(scope, post_id)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        _check_name_free(post.region_id, changes["name"], post.id)
    if "lat" in changes or "lon" in changes:
        region = regions.get_region(RegionScope(everything=True), post.region_id)
        _check_point_in_grid(region, changes.get("lat", post.lat), changes.get("lon", post.lon))
    for key in ("name", "lat", "lon", "radius_m"):
        if key in changes:
            setattr(post, key, changes[key])
    post.version += 1
    post.updated_at = utcnow()
    log_reference_changes("posts", [post_change(post)])
    commit_or_conflict(f"The grid already has a post named '{post.name}'.", "post_name_taken")
    return describe_post(post)


def delete_post(scope: RegionScope, post_id: uuid.UUID) -> None:
    """Remove a post nobody holds any more (unassign its workers first)."""
    post = get_post(scope, post_id)
    if db.session.scalar(select(PostAssignment.id).where(PostAssignment.post_id == post.id)
                         .limit(1)) is not None:
        raise Conflict("Workers still hold this post; unassign them first.",
                       code="post_has_workers")
    post.version += 1  # the tombstone's version, newer than any copy a phone holds
    change = post_change(post, deleted=True)
    db.session.delete(post)
    log_reference_changes("posts", [change])
    commit_or_conflict("Someone assigned a worker to this post meanwhile; try again.",
                       "post_has_workers")


def assign_worker(scope: RegionScope, post_id: uuid.UUID, worker_id: uuid.UUID) -> dict:
    """定岗: put a worker of the post's grid on this post (moving them from any other)."""
    post = get_post(scope, post_id)
    worker = accounts.get_account(scope, worker_id)
    if WORKER not in worker.role_names:
        raise Invalid("Only grid workers hold posts.", code="not_a_worker")
    if worker.region_id != post.region_id:
        raise Invalid("A worker holds posts of their own grid only.",
                      code="worker_outside_post_grid")
    put_assignment(post, worker.id)
    commit_or_conflict("This worker was assigned elsewhere at the same moment; try again.",
                       "assignment_conflict")
    return describe_post(post)


def put_assignment(post: Post, worker_id: uuid.UUID) -> PostAssignment:
    """Make this post the worker's (in the caller's transaction, logged for sync; no
    checks: callers check). Nothing changes when it already is."""
    assignment = db.session.scalar(select(PostAssignment).where(
        PostAssignment.worker_id == worker_id))
    if assignment is not None and assignment.post_id == post.id:
        return assignment
    if assignment is None:
        assignment = PostAssignment(id=uuid.uuid4(), worker_id=worker_id, version=0)
        db.session.add(assignment)
    assignment.post_id, assignment.scope_path = post.id, post.scope_path
    assignment.version += 1
    assignment.updated_at = utcnow()
    log_reference_changes("post_assignments", [assignment_change(assignment)])
    return assignment


def unassign_worker(scope: RegionScope, post_id: uuid.UUID, worker_id: uuid.UUID) -> None:
    """Take a worker off this post: their grid is their fence again."""
    post = get_post(scope, post_id)
    assignment = db.session.scalar(select(PostAssignment).where(
        PostAssignment.worker_id == worker_id, PostAssignment.post_id == post.id))
    if assignment is None:
        raise NotFound("This worker does not hold this post.", code="not_assigned")
    assignment.version += 1  # the tombstone's version, newer than any copy a phone holds
    change = assignment_change(assignment, deleted=True)
    db.session.delete(assignment)
    log_reference_changes("post_assignments", [change])
    db.session.commit()
