"""Posts (岗位) over HTTP: supervisors and admins place posts and put workers on them.

Under /attendance/posts: a post is the attendance fence of the workers who hold it.
"""

from __future__ import annotations

import uuid

from flask.views import MethodView

from backend.common.auth import ADMIN, SUPERVISOR, auth_required, current_scope
from backend.extensions import Blueprint
from backend.posts import schemas, services

posts_blp = Blueprint("posts", __name__, url_prefix="/api/v1/attendance/posts",
                      description="Posts (岗位): a point and a radius in a grid, the fence of "
                                  "the workers who hold it.")


@posts_blp.route("")
class Posts(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @posts_blp.arguments(schemas.PostListArgs, location="query")
    @posts_blp.response(200, schemas.PostListOut)
    def get(self, args):
        """Posts (岗位) of the grids in my scope, with their workers."""
        return {"items": services.describe_posts(services.list_posts(current_scope(), **args))}

    @auth_required(ADMIN, SUPERVISOR)
    @posts_blp.arguments(schemas.PostIn)
    @posts_blp.response(201, schemas.PostOut)
    def post(self, args):
        """Add a post: a point inside a grid of my scope and a radius (its workers' fence)."""
        return services.create_post(current_scope(), **args)


@posts_blp.route("/<uuid:post_id>")
class PostById(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @posts_blp.response(200, schemas.PostOut)
    def get(self, post_id: uuid.UUID):
        """A post in my scope."""
        return services.describe_post(services.get_post(current_scope(), post_id))

    @auth_required(ADMIN, SUPERVISOR)
    @posts_blp.arguments(schemas.PostPatchIn)
    @posts_blp.response(200, schemas.PostOut)
    def patch(self, args, post_id: uuid.UUID):
        """Rename, move (within its grid) or resize a post."""
        return services.update_post(current_scope(), post_id, args)

    @auth_required(ADMIN, SUPERVISOR)
    @posts_blp.response(204)
    @posts_blp.alt_response(409, description="Workers still hold the post.")
    def delete(self, post_id: uuid.UUID):
        """Remove a post that no worker holds."""
        services.delete_post(current_scope(), post_id)


@posts_blp.route("/<uuid:post_id>/workers")
class PostWorkers(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @posts_blp.arguments(schemas.PostWorkerIn)
    @posts_blp.response(200, schemas.PostOut)
    def post(self, args, post_id: uuid.UUID):
        """Put a worker of the post's grid on this post (off any other: one post each)."""
        return services.assign_worker(current_scope(), post_id, args["worker_id"])


@posts_blp.route("/<uuid:post_id>/workers/<uuid:worker_id>")
class PostWorker(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @posts_blp.response(204)
    def delete(self, post_id: uuid.UUID, worker_id: uuid.UUID):
        """Take a worker off this post: their grid is their fence again."""
        services.unassign_worker(current_scope(), post_id, worker_id)
