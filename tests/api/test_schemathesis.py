"""Property-based tests of every API operation from the OpenAPI schema (schemathesis),
in-process, as a project's owner with a token: no server errors, and every response
matches the schema (status code, content type and body).

Bounded: a few examples per operation, so the suite stays within CI's time. Path ids
of the project are pinned to the owner's project, so most requests reach the view
instead of stopping at a 404.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import MediaItemFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(autouse=True)
def keep_the_test_connection() -> Iterator[None]:
    """Django closes the database connection after each WSGI request; the test's
    transaction must survive the requests (what Django's test client does too)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def owner_token(team) -> tuple[int, str]:
    MediaItemFactory(project=team.project)
    token, _ = Token.objects.get_or_create(user=team.users["owner"])
    return team.project.pk, token.key


@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_every_operation_answers_within_its_schema(case, owner_token):
    project_pk, token = owner_token
    if case.path_parameters and "project_pk" in case.path_parameters:
        case.path_parameters["project_pk"] = project_pk
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
