"""Every answer names its request, and so does every log line written while serving it."""

from __future__ import annotations

import logging
import re

import pytest


def test_every_answer_has_a_request_id(client):
    first, second = client.get("/healthz"), client.get("/api/v1/nothing-here")
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_a_proxys_request_id_is_kept(client):
    response = client.get("/healthz", headers={"X-Request-ID": "nginx-7f3a9c01"})
    assert response.headers["X-Request-ID"] == "nginx-7f3a9c01"


@pytest.mark.parametrize("given", ["short", "x" * 65, "has space in it", "line\\nbreak-injected",
                                   "<script>alert(1)</script>"])
def test_an_odd_request_id_is_replaced_not_written_to_the_logs(client, given):
    response = client.get("/healthz", headers={"X-Request-ID": given})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_log_lines_carry_their_requests_id_and_a_dash_outside_one(app, caplog):
    with caplog.at_level(logging.INFO, logger="backend"):
        logging.getLogger("backend.test").info("outside any request")
        with app.test_request_context(headers={"X-Request-ID": "nginx-7f3a9c01"}):
            app.preprocess_request()
            logging.getLogger("backend.test").info("inside a request")
    assert [r.request_id for r in caplog.records[-2:]] == ["-", "nginx-7f3a9c01"]
