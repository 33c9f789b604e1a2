from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "deepreview.projects"
    label = "projects"
