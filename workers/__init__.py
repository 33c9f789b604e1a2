"""deepreview workers: Celery tasks (``workers.tasks``) and the ML pipeline library."""
