from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    name = "deepreview.core"
    label = "core"

    def ready(self) -> None:
        # Working folders of the embedded default (upload temp files, filesystem
        # broker). Created here, not at settings import, so importing settings
        # has no side effects.
        folders = [Path(settings.FILE_UPLOAD_TEMP_DIR)]
        options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
        folders += [Path(options[k]) for k in ("data_folder_in", "control_folder") if k in options]
        folders += [Path(options["processed_folder"])] if "processed_folder" in options else []
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
