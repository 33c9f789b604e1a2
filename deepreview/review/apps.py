from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "deepreview.review"
    label = "review"
    verbose_name = "Review: marks, verdicts, agreement"
