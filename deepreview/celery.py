"""The Celery application. Configuration lives in settings under CELERY_*."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deepreview.settings")

app = Celery("deepreview")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["deepreview_workers.tasks"], related_name=None)
