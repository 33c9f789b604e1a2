from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "deepreview.exports"
    label = "exports"
    verbose_name = "Dataset exports and imports"

    def ready(self) -> None:
        from deepreview.exports import receivers  # noqa: F401  (a failed import's cleanup)
