"""The job-kind table: one row per registered handler, the queue each kind goes to,
and the result type each handler says it returns."""

from __future__ import annotations

import typing

import pytest

import deepreview_workers.tasks  # noqa: F401  (registers every handler)
from deepreview.jobs import services
from deepreview.jobs.kinds import JOB_KINDS, QUEUES, JobDone, job_queue
from deepreview_workers.tasks.handlers import handler_for, job_handler, registered_job_kinds
from tests.factories import ProjectFactory

# The queues workers listen on (docker-compose, scripts/run.sh): renaming one strands jobs.
QUEUE_OF = {
    "probe": "cpu",
    "extract": "gpu",
    "faceset_export": "io",
    "faceset_import": "gpu",
    "swap_train": "gpu",
    "swap_convert": "gpu",
    "swap_preview": "gpu",
    "detect": "gpu",
    "detector_train": "gpu",
    "dataset_export": "gpu",
    "dataset_import": "io",
    "selftest": "cpu",
}


def test_every_handler_has_a_row_and_every_row_a_handler():
    assert registered_job_kinds() == sorted(JOB_KINDS)


def test_queues_are_the_ones_workers_listen_on():
    assert {kind: row.queue for kind, row in JOB_KINDS.items()} == QUEUE_OF
    assert {row.queue for row in JOB_KINDS.values()} <= set(QUEUES)


@pytest.mark.parametrize("kind", sorted(JOB_KINDS))
def test_handler_returns_the_result_type_of_its_row(kind: str):
    handler = handler_for(kind)
    returns = typing.get_type_hints(handler)["return"]
    assert typing.get_origin(returns) is JobDone
    assert typing.get_args(returns) == (JOB_KINDS[kind].result,)
    assert typing.is_typeddict(JOB_KINDS[kind].result)


def test_a_kind_without_a_row_cannot_register():
    with pytest.raises(ValueError, match="no row"):
        job_handler("no_such_kind")(lambda job, progress: JobDone({}))


def test_job_create_routes_by_the_table(db):
    project = ProjectFactory()
    for kind in ("probe", "extract", "dataset_import"):
        job = services.job_create(project_id=project.pk, kind=kind, params={})
        assert job.queue == job_queue(kind) == QUEUE_OF[kind]
    chosen = services.job_create(project_id=project.pk, kind="selftest", queue="gpu")
    assert chosen.queue == "gpu"  # an operator's choice overrides the table
