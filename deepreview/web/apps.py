from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "deepreview.web"
    label = "web"
