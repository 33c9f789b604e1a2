from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "deepreview.jobs"
    label = "jobs"
