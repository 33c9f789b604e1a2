from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "deepreview.demo"
    label = "demo"
    verbose_name = "Demo project, built through real jobs"

    def ready(self) -> None:
        from deepreview.demo import receivers  # noqa: F401  (connects the job hook)
