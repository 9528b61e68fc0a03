"""Posts (岗位) and who holds them, as reference data: the phone needs its fence offline."""

from __future__ import annotations

from backend.posts.models import Post, PostAssignment
from sync.registry import REFERENCE, Audience, Collection


def post_audience(row: dict) -> Audience:
    # Everyone whose scope covers the post's grid: its workers (a worker holds posts of
    # their own grid only) and the supervisors above. The log's audience has one owner,
    # so "only the workers of this post" cannot be said; a post is a public place anyway.
    return Audience(scope_path=row["scope_path"])


def assignment_audience(row: dict) -> Audience:
    # The worker always pulls their own; those who see the post's grid pull it too.
    return Audience(scope_path=row["scope_path"], owner_id=row["worker_id"])


def post_change(post: Post, *, deleted: bool = False) -> tuple:
    """A change of a post, as the sync log wants it."""
    return (post.id, post.version, deleted, post_audience({"scope_path": post.scope_path}))


def assignment_change(assignment: PostAssignment, *, deleted: bool = False) -> tuple:
    """A change of who holds a post, as the sync log wants it."""
    return (assignment.id, assignment.version, deleted, assignment_audience(
        {"scope_path": assignment.scope_path, "worker_id": assignment.worker_id}))


COLLECTIONS = [
    Collection(name="posts", table=Post.__table__, rule=REFERENCE,
               server_fields=("name", "region_id", "lat", "lon", "radius_m"),
               audience=post_audience),
    Collection(name="post_assignments", table=PostAssignment.__table__, rule=REFERENCE,
               server_fields=("worker_id", "post_id"), audience=assignment_audience),
]
