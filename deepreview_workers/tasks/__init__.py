"""Thin Celery tasks: claim a job, call the pipeline with a progress adapter, save.

Importing the job modules registers their handlers. A host installed without the
``ml`` extra still starts: the modules that need it are skipped and recorded in
``UNAVAILABLE``, and their jobs fail with a message naming the extra to install.
"""

import importlib
import logging

from deepreview_workers.extras import missing_ml_module
from deepreview_workers.tasks.base import run_job  # noqa: F401
from deepreview_workers.tasks.handlers import UNAVAILABLE
from deepreview_workers.tasks.sweeps import sweep_orphan_files, sweep_stale_jobs  # noqa: F401

logger = logging.getLogger(__name__)

JOB_MODULES = (
    "dataset",
    "detection",
    "extract",
    "faceset_export",
    "faceset_import",
    "probe",
    "selftest",
    "swap",
    "swap_train",
)

for _name in JOB_MODULES:
    try:
        importlib.import_module(f"deepreview_workers.tasks.{_name}")
    except ModuleNotFoundError as exc:
        module = missing_ml_module(exc)
        if module is None:
            raise
        UNAVAILABLE[_name] = module
        logger.warning("Jobs in deepreview_workers.tasks.%s are unavailable: no %s", _name, module)
