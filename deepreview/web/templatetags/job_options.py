"""``{% job_options "extract" %}``: a job kind's option spec as a JSON script element
(``id="options-<kind>"``), from which the page's form renders its fields."""

from __future__ import annotations

from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString

from deepreview_workers.pipeline.options.jobs import JOB_OPTIONS
from deepreview_workers.pipeline.options.spec import option_spec

register = template.Library()


@register.simple_tag
def job_options(kind: str) -> SafeString:
    return json_script(option_spec(JOB_OPTIONS[kind]), f"options-{kind}")
