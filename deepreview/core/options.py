"""Job options on the web side: validation errors as API errors, and the serializer
field whose OpenAPI schema is the options dataclass's own.

Everything looks the dataclass up by job kind in ``JOB_OPTIONS`` when it is needed, so
an option added to a dataclass reaches the validation, the forms (``{% job_options %}``
and ``/api/job-options/``) and the schema with nothing else to edit.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from deepreview.core.errors import ApplicationError
from deepreview_workers.pipeline.options.jobs import JOB_OPTIONS
from deepreview_workers.pipeline.options.spec import (
    OptionError,
    check_options,
    options_json_schema,
    options_values,
)


def clean_options(kind: str, raw: Any, *, what: str, with_defaults: bool = False) -> dict:
    """The checked values of ``raw`` for a job of ``kind`` (with every default filled in
    if asked); a bad value is an ``ApplicationError`` naming its field."""
    cls = JOB_OPTIONS[kind]
    try:
        values = check_options(cls, raw, what=what)
    except OptionError as exc:
        fields = {name: [reason] for name, reason in exc.field_errors.items()}
        raise ApplicationError(exc.message, fields=fields or None) from None
    return {**options_values(cls()), **values} if with_defaults else values


class JobOptionsField(serializers.JSONField):
    """A JSON object of a job kind's options (the service checks the values, so the
    errors name the field the same way for every client)."""

    def __init__(self, kind: str, **kwargs: Any) -> None:
        if kind not in JOB_OPTIONS:
            raise KeyError(f"no options are declared for job kind {kind!r}")
        self.kind = kind
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", dict)
        super().__init__(**kwargs)


class JobOptionsFieldExtension(OpenApiSerializerFieldExtension):
    target_class = JobOptionsField

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        return options_json_schema(JOB_OPTIONS[self.target.kind])
