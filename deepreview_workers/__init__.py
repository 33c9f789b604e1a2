"""deepreview workers: Celery tasks (``deepreview_workers.tasks``) and the ML pipeline library."""
