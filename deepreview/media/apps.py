from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "deepreview.media"
    label = "media"
