from django.apps import AppConfig


class DetectionConfig(AppConfig):
    name = "deepreview.detection"
    label = "detection"
