"""What OPTIONS answers (REST_FRAMEWORK["DEFAULT_METADATA_CLASS"]).

Its own module: DRF imports it while defining APIView, so it must not import views.
"""

from __future__ import annotations

from typing import Any

from rest_framework.metadata import SimpleMetadata
from rest_framework.request import Request


class EndpointMetadata(SimpleMetadata):
    """What OPTIONS answers: the endpoint's name, description and formats.

    Fields and their rules are in the OpenAPI schema (/api/schema/); DRF's default also
    builds a serializer per write method for its "actions", which views without a
    serializer class cannot, so a browser's preflight would get a 500.
    """

    def determine_metadata(self, request: Request, view: Any) -> dict:
        metadata = super().determine_metadata(request, view)
        metadata.pop("actions", None)
        return metadata

    def determine_actions(self, request: Request, view: Any) -> dict:
        return {}
