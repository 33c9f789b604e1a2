"""The deepreview pipeline: a plain Python library (no Django, Celery or database).

Every step takes paths or arrays and returns frozen dataclasses, and long steps take a
``progress`` callback (see :mod:`deepreview_workers.pipeline.progress`) that may raise
``Cancelled``.
A test walks this package and fails on any import of django, celery, rest_framework or
deepreview, so the library can be run and tested on its own.
"""
