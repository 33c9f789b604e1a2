from django.apps import AppConfig


class FacesetsConfig(AppConfig):
    name = "deepreview.facesets"
    label = "facesets"
