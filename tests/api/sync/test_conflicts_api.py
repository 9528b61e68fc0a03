"""Sync conflicts over HTTP: what the review endpoints answer to bodies they cannot read."""

from __future__ import annotations

import uuid


def test_resolving_with_a_body_that_is_not_json_is_400_with_no_per_field_problems(
        client, field_city, login_as):
    response = client.post(f"/api/v1/sync/conflicts/{uuid.uuid4()}/resolve", headers=login_as("boss"),
                           data="{", content_type="application/json")
    assert response.status_code == 400
    error = response.get_json()["error"]
    # The documented envelope: `fields`, when given, maps field names to their problems.
    assert error["code"] == "malformed_json" and "fields" not in error
