from django.apps import AppConfig


class SwapsConfig(AppConfig):
    name = "deepreview.swaps"
    label = "swaps"
