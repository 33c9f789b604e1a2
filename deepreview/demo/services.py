"""The demo project, built through the same services and jobs as any project.

``demo_load`` creates the demo accounts and project and uploads the demo media from the
shared media folder; ``demo_advance`` then starts each step of the build once what it
needs is there: facesets of two people, a small swap model, a conversion with ground
truth, built-in detection on every video, two reviewers' verdicts and marks with an
owner's adjudication and a gold video, and a dataset export. It runs after every job of
the demo project (``job_finished``), so the build moves on by itself on the embedded
worker, on the same queues as everything else.

A step's state is read from what the project holds and from its jobs, never stored:
running everything again adds nothing twice, and a failed or cancelled step is retried
by retrying its jobs (``demo_retry``), after which the build goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from deepreview.core.errors import ApplicationError
from deepreview.demo.models import DemoBuild
from deepreview.detection import services as detection_services
from deepreview.exports import services as export_services
from deepreview.exports.models import DatasetExport
from deepreview.facesets import services as faceset_services
from deepreview.facesets.models import Faceset
from deepreview.jobs import services as job_services
from deepreview.jobs.models import ACTIVE_STATUSES, Job, JobStatus
from deepreview.media.models import MediaItem, MediaKind, MediaStatus
from deepreview.media.services import PROBE_JOB, media_upload
from deepreview.projects import services as project_services
from deepreview.projects.models import Identity, Membership, Project
from deepreview.projects.roles import Role
from deepreview.review import services as review_services
from deepreview.review.models import Consensus, GoldVideo, Mark, Verdict
from deepreview.review.selectors import ReviewScope
from deepreview.swaps import services as swap_services
from deepreview.swaps.models import Conversion, SwapModel
from deepreview_workers.pipeline.options.swap import DEMO_CONVERT_OPTIONS, DEMO_MODEL_OPTIONS

DEMO_PASSWORD = "deepreview-demo"
DEMO_PROJECT = "Demo: public-domain faces"
OWNER, REVIEWER, SECOND_REVIEWER, ADMIN = (
    "demo-owner",
    "demo-reviewer",
    "demo-reviewer-2",
    "demo-admin",
)
MODEL_NAME = "Demo swap: Katie Hill → Barack Obama"
MODEL_DESCRIPTION = (
    "A demo model: a quarter of the usual width, trained for a few minutes on a CPU when "
    "the demo was built, so its fakes are crude. It shows what training records (loss "
    "curves, previews, checkpoints) and gives the demo a fake with ground-truth masks. "
    "Train it further, or a full-width model on a GPU, for fakes worth studying."
)
SWAP_OPTIONS = {**DEMO_MODEL_OPTIONS, "checkpoint_every": 100, "preview_every": 100}
CONVERT_OPTIONS = DEMO_CONVERT_OPTIONS
EXPORT_NAME = "Demo dataset"
EXTRACT_OPTIONS = {"target_fps": 4.0}


@dataclass(frozen=True)
class DemoMedia:
    path: str  # in the shared media folder
    identity: str
    origin: str
    role: str = ""  # "swap_a" / "swap_b": the two facesets; "gold": the hidden check


DEMO_MEDIA = (
    DemoMedia("real_videos/hdtf_WDA_KatieHill_000.mp4", "Katie Hill", "real", "swap_a"),
    DemoMedia("real_videos/pd_obama_2011_whitehouse_address.mp4", "Barack Obama", "real", "swap_b"),
    DemoMedia(
        "eval_external/real_videos/motioncoseg_11.mp4", "Unnamed speaker (VoxCeleb-style)", "real"
    ),
    DemoMedia(
        "eval_external/fake_videos/motioncoseg_result_final.mp4",
        "Unnamed speaker (VoxCeleb-style)",
        "fake",
        "gold",
    ),
    DemoMedia("real_images/pd_usnavy_grace_hopper.jpg", "Grace Hopper", "real"),
    DemoMedia("real_images/pd_congress_W000817_elizabeth_warren.jpg", "Elizabeth Warren", "real"),
    DemoMedia("real_images/pd_congress_K000367_amy_klobuchar.jpg", "Amy Klobuchar", "real"),
    DemoMedia("real_images/pd_congress_S000148_chuck_schumer.jpg", "Chuck Schumer", "real"),
)

EMPTY_DESCRIPTION = (
    "No media yet. The demo's clips and portraits are read from the shared media folder, "
    "which was not found: set DEEPREVIEW_SHARED_MEDIA to the folder holding real_videos/, "
    "real_images/ and eval_external/ (default ../shared/media beside the repository) and "
    "run `python manage.py load_demo` again (or `make run`), or upload your own videos and "
    "photos here."
)


# -- sources --------------------------------------------------------------------------


def media_sources(shared: Path, relative: str) -> tuple[str, str] | None:
    """(source, licence) of one shared file, from the ``SOURCES.md`` that lists it.

    Entries are ``### <path>`` sections with ``- **Repo / path:**``, ``- **Commit:**`` and
    ``- **Licence / provenance:**`` lines; a subfolder may have its own SOURCES.md.
    """
    candidates = [(shared / "SOURCES.md", relative)]
    head, _, rest = relative.partition("/")
    if rest:
        candidates.append((shared / head / "SOURCES.md", rest))
    for sources, name in candidates:
        if not sources.is_file():
            continue
        fields: dict[str, str] = {}
        inside = False
        for line in sources.read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                if inside:
                    break
                inside = line.strip() == f"### {name}"
            elif inside and line.startswith("- **") and ":**" in line:
                key, _, value = line[4:].partition(":**")
                fields[key.strip()] = value.strip().replace("`", "")
        if "Repo / path" in fields:
            source = fields["Repo / path"].replace(" : ", ": ")
            commit = fields.get("Commit", "").split("last commit touching the file ")
            if len(commit) == 2:
                source += f" @ {commit[1].split(';')[0].strip()[:8]}"
            return source, fields.get("Licence / provenance", "licence not stated")
    return None


def sources_description(shared: Path, relatives: list[str]) -> str:
    lines = [
        "A demo built by the app itself: two people's facesets, a small swap model and its "
        "fake with ground truth, built-in detection on every video, two reviewers' verdicts "
        "with an owner's adjudication, and a dataset export. Media read from the shared "
        "media folder; sources and licences, from its SOURCES.md:"
    ]
    for relative in relatives:
        found = media_sources(shared, relative)
        name = Path(relative).name
        if found is None:
            lines.append(f"{name}: no entry in SOURCES.md.")
        else:
            source, licence = found
            lines.append(f"{name}: {source}. Licence: {licence}")
    return "\n".join(lines)


# -- loading --------------------------------------------------------------------------


@dataclass
class DemoLoad:
    project: Project
    added: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    shared_found: bool = True


def _demo_user(username: str, *, staff: bool = False) -> AbstractBaseUser:
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"is_staff": staff, "is_superuser": staff}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def demo_load(*, shared: Path, with_media: bool = True) -> DemoLoad:
    """The demo accounts, project and media; idempotent. Starts the build (``demo_advance``)."""
    owner = _demo_user(OWNER)
    reviewers = [_demo_user(REVIEWER), _demo_user(SECOND_REVIEWER)]
    _demo_user(ADMIN, staff=True)
    with transaction.atomic():
        project = Project.objects.filter(name=DEMO_PROJECT).first()
        if project is None:
            project = project_services.project_create(
                name=DEMO_PROJECT, created_by=owner, description=EMPTY_DESCRIPTION
            )
        for reviewer in reviewers:
            Membership.objects.get_or_create(
                project=project, user=reviewer, defaults={"role": Role.REVIEWER}
            )
        DemoBuild.objects.get_or_create(project=project)
    load = DemoLoad(project, shared_found=shared.is_dir())
    if with_media and load.shared_found:
        _upload_media(load, shared, owner)
    used = load.added + load.kept
    if used:
        description = sources_description(shared, used)
    elif not MediaItem.objects.filter(project=project).exists():
        description = EMPTY_DESCRIPTION
    else:
        description = project.description  # media from an earlier run: keep its sources
    if project.description != description:
        project.description = description
        project.save(update_fields=["description"])
    demo_advance(project=project)
    return load


def _upload_media(load: DemoLoad, shared: Path, owner: AbstractBaseUser) -> None:
    for entry in DEMO_MEDIA:
        path = shared / entry.path
        if not path.is_file():
            load.missing.append(entry.path)
            continue
        identity, _ = Identity.objects.get_or_create(project=load.project, name=entry.identity)
        with path.open("rb") as handle:
            upload = UploadedFile(handle, name=path.name, size=path.stat().st_size)
            _item, created = media_upload(
                project=load.project,
                upload=upload,
                uploaded_by=owner,
                origin=entry.origin,
                identity_id=identity.pk,
            )
        (load.added if created else load.kept).append(entry.path)


# -- the build ------------------------------------------------------------------------


@dataclass
class _Demo:
    """What a step looks at: the demo project, its people and its media by role."""

    project: Project
    build: DemoBuild
    owner: AbstractBaseUser
    reviewers: list[AbstractBaseUser]
    media: dict[str, MediaItem]  # DemoMedia.path -> item (those uploaded)

    @classmethod
    def load(cls, project: Project, build: DemoBuild) -> _Demo:
        users = {
            u.username: u
            for u in get_user_model().objects.filter(
                username__in=(OWNER, REVIEWER, SECOND_REVIEWER)
            )
        }
        names = {Path(entry.path).name: entry.path for entry in DEMO_MEDIA}
        media = {
            names[item.name]: item
            for item in MediaItem.objects.filter(project=project, name__in=names)
        }
        return cls(
            project,
            build,
            users.get(OWNER) or project.created_by,
            [users[u] for u in (REVIEWER, SECOND_REVIEWER) if u in users],
            media,
        )

    def by_role(self, role: str) -> MediaItem | None:
        entry = next((e for e in DEMO_MEDIA if e.role == role), None)
        return self.media.get(entry.path) if entry else None

    def jobs(self, *kinds: str) -> QuerySet[Job]:
        return Job.objects.filter(project=self.project, kind__in=kinds)

    def facesets(self) -> list[Faceset]:
        people = [self.by_role("swap_a"), self.by_role("swap_b")]
        names = [item.identity.name for item in people if item and item.identity]
        found = {f.name: f for f in Faceset.objects.filter(project=self.project, name__in=names)}
        return [found[n] for n in names if n in found]

    def model(self) -> SwapModel | None:
        return SwapModel.objects.filter(project=self.project, name=MODEL_NAME).first()

    def conversion(self) -> Conversion | None:
        model = self.model()
        if model is None:
            return None
        return Conversion.objects.filter(swap_model=model).select_related("output_media").first()

    def fake(self) -> MediaItem | None:
        conversion = self.conversion()
        return conversion.output_media if conversion else None

    def videos(self) -> QuerySet[MediaItem]:
        return MediaItem.objects.filter(project=self.project, kind=MediaKind.VIDEO)


def _ready(item: MediaItem | None) -> bool:
    return item is not None and item.status == MediaStatus.READY


@dataclass(frozen=True)
class Link:
    """A page showing what a step made: ``page`` is one of faceset, swap_model, media,
    workspace, report (with ``id``), detection, review, exports (the project's page)."""

    page: str
    label: str
    id: int | None = None


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    needs: tuple[str, ...]  # steps that must be done first
    done: Callable[[_Demo], bool]
    jobs: Callable[[_Demo], QuerySet[Job]]
    start: Callable[[_Demo], None] | None  # None: the step's jobs start elsewhere
    ready: Callable[[_Demo], bool] = lambda demo: True  # beyond ``needs``
    waits: str = ""  # what it waits for while ``ready`` is false
    links: Callable[[_Demo], list[Link]] = lambda demo: []  # where to see what it made


# media ---------------------------------------------------------------------------------


def _media_done(demo: _Demo) -> bool:
    return bool(demo.media) and all(_ready(item) for item in demo.media.values())


def _media_jobs(demo: _Demo) -> QuerySet[Job]:
    originals = [item.pk for item in demo.media.values()]
    return demo.jobs(PROBE_JOB).filter(media_id__in=originals)


# facesets ------------------------------------------------------------------------------


def _facesets_ready(demo: _Demo) -> bool:
    return _ready(demo.by_role("swap_a")) and _ready(demo.by_role("swap_b"))


def _facesets_done(demo: _Demo) -> bool:
    facesets = demo.facesets()
    jobs = demo.jobs(faceset_services.EXTRACT_JOB)
    return (
        len(facesets) == 2
        and jobs.filter(status=JobStatus.SUCCEEDED).count() >= 2
        and not jobs.filter(status__in=ACTIVE_STATUSES).exists()
    )


def _facesets_start(demo: _Demo) -> None:
    shared = Path(settings.SHARED_MEDIA_DIR)
    for role in ("swap_a", "swap_b"):
        item = demo.by_role(role)
        assert item is not None and item.identity is not None
        faceset = Faceset.objects.filter(project=demo.project, name=item.identity.name).first()
        if faceset is None:
            faceset = faceset_services.faceset_create(
                project=demo.project,
                name=item.identity.name,
                created_by=demo.owner,
                identity_id=item.identity_id,
                description=f"Faces of {item.identity.name} from {item.name} (demo).",
            )
        if not faceset.consents.exists():
            entry = next(e for e in DEMO_MEDIA if e.role == role)
            source, licence = media_sources(shared, entry.path) or (entry.path, "see SOURCES.md")
            swap_services.consent_add(
                faceset=faceset,
                recorded_by=demo.owner,
                basis="licence",
                subject=f"{item.name}: {source}",
                reference=f"{entry.path} in SOURCES.md: {licence}",
                scope="The deepreview demo: a small swap model, its fake, detection and review; "
                "not for redistribution.",
            )
        if not demo.jobs(faceset_services.EXTRACT_JOB).filter(params__faceset_id=faceset.pk):
            faceset_services.faceset_extract(
                faceset=faceset,
                media_ids=[item.pk],
                options=EXTRACT_OPTIONS,
                requested_by=demo.owner,
            )


# swap model ----------------------------------------------------------------------------


def _model_done(demo: _Demo) -> bool:
    model = demo.model()
    return model is not None and model.iteration >= settings.DEMO_SWAP_ITERATIONS


def _model_jobs(demo: _Demo) -> QuerySet[Job]:
    return demo.jobs(swap_services.TRAIN_JOB)


def _model_start(demo: _Demo) -> None:
    model = demo.model()
    if model is None:
        faces_a, faces_b = demo.facesets()
        model = swap_services.swap_model_create(
            project=demo.project,
            name=MODEL_NAME,
            faceset_a_id=faces_a.pk,
            faceset_b_id=faces_b.pk,
            created_by=demo.owner,
            options=SWAP_OPTIONS,
        )
        model.description = MODEL_DESCRIPTION
        model.save(update_fields=["description"])
    swap_services.swap_train_request(
        model=model, iterations=settings.DEMO_SWAP_ITERATIONS, requested_by=demo.owner
    )


# conversion ----------------------------------------------------------------------------


def _conversion_done(demo: _Demo) -> bool:
    return _ready(demo.fake())


def _conversion_jobs(demo: _Demo) -> QuerySet[Job]:
    fake = demo.fake()
    probe = demo.jobs(PROBE_JOB).filter(media=fake) if fake else Job.objects.none()
    return demo.jobs(swap_services.CONVERT_JOB) | probe


def _conversion_start(demo: _Demo) -> None:
    model, target = demo.model(), demo.by_role("swap_a")
    assert model is not None and target is not None
    if demo.conversion() is None:
        swap_services.swap_convert_request(
            model=model,
            media=target,
            direction="a-to-b",
            options=CONVERT_OPTIONS,
            track=None,
            requested_by=demo.owner,
        )


# detection -----------------------------------------------------------------------------


def _undetected(demo: _Demo) -> list[MediaItem]:
    started = set(demo.jobs(detection_services.DETECT_JOB).values_list("media_id", flat=True))
    ready = demo.videos().filter(status=MediaStatus.READY)
    return [item for item in ready if item.pk not in started]


def _detection_done(demo: _Demo) -> bool:
    if not _conversion_done(demo):
        return False  # the demo's own fake is scored too
    detected = set(
        demo.jobs(detection_services.DETECT_JOB)
        .filter(status=JobStatus.SUCCEEDED)
        .values_list("media_id", flat=True)
    )
    return all(item.pk in detected for item in demo.videos())


def _detection_start(demo: _Demo) -> None:
    items = _undetected(demo)
    if items:
        detection_services.detect_request(
            project=demo.project,
            media_ids=[i.pk for i in items],
            detector_id=None,
            options={},
            requested_by=demo.owner,
        )


# review --------------------------------------------------------------------------------

# (reviewer index, label, confidence, rationale) per video role; they disagree on the fake.
VERDICTS = {
    "fake": [
        (0, "fake", 0.9, "The jaw line seams and the teeth blur whenever she turns."),
        (1, "real", 0.6, "Looks like an ordinary recorded address to me."),
    ],
    "swap_b": [
        (0, "real", 0.95, "Consistent lighting, skin and lip sync throughout."),
        (1, "real", 0.9, "Nothing unusual."),
    ],
}
FACE_REGION = [0.25, 0.12, 0.75, 0.8]  # the demo's target clip is a face crop


def _review_done(demo: _Demo) -> bool:
    fake, gold = demo.fake(), demo.by_role("gold")
    return (
        fake is not None
        and Consensus.objects.filter(media=fake).exists()
        and (gold is None or GoldVideo.objects.filter(media=gold).exists())
    )


def _review_start(demo: _Demo) -> None:
    fake, real = demo.fake(), demo.by_role("swap_b")
    assert fake is not None and real is not None
    review_services.assignments_create(
        project=demo.project,
        media_ids=[fake.pk, real.pk],
        reviewer_ids=[r.pk for r in demo.reviewers],
        assigned_by=demo.owner,
    )
    for item, verdicts in ((fake, VERDICTS["fake"]), (real, VERDICTS["swap_b"])):
        for index, label, confidence, rationale in verdicts:
            reviewer = demo.reviewers[index]
            scope = ReviewScope(demo.project, reviewer, Role.REVIEWER, blind=False)
            if not Verdict.objects.filter(media=item, reviewer=reviewer).exists():
                review_services.verdict_submit(
                    scope=scope,
                    media=item,
                    label=label,
                    confidence=confidence,
                    rationale=rationale,
                    version=None,
                )
            if item == fake and not Mark.objects.filter(media=item, created_by=reviewer):
                _marks(demo, scope, fake, index)
    owner_scope = ReviewScope(demo.project, demo.owner, Role.OWNER, blind=False)
    if not Consensus.objects.filter(media=fake).exists():
        review_services.consensus_set(
            scope=owner_scope,
            media=fake,
            label="fake",
            version=None,
            note="Adjudicated fake: the first reviewer's seams match the ground-truth masks.",
        )
    gold = demo.by_role("gold")
    if _ready(gold) and not GoldVideo.objects.filter(media=gold).exists():
        review_services.gold_set(project=demo.project, media=gold, label="fake", set_by=demo.owner)


def _marks(demo: _Demo, scope: ReviewScope, fake: MediaItem, reviewer_index: int) -> None:
    """Marks inside the conversion's manipulated frames (its ground truth)."""
    conversion = demo.conversion()
    ranges = (conversion.manipulated_ranges if conversion else None) or [[0, fake.frame_count - 1]]
    first, last = ranges[0][0], min(ranges[-1][1], fake.frame_count - 1)
    span = max(last - first, 1)
    if reviewer_index == 0:
        marks = [
            (
                "edge-seam",
                first + span // 10,
                first + span // 3,
                FACE_REGION,
                "Seam along the jaw where the swapped face meets the neck.",
            ),
            (
                "teeth",
                first + span // 2,
                first + 2 * span // 3,
                None,
                "Teeth smear into one white band.",
            ),
        ]
    else:
        marks = [
            (
                "flicker",
                first + span // 4,
                first + span // 4 + 12,
                None,
                "Brief brightness flicker on the cheeks; probably compression.",
            ),
            (  # the same kind as the first reviewer's, on overlapping frames
                "teeth",
                first + 3 * span // 5,
                first + 3 * span // 4,
                None,
                "Teeth look soft here, but the video is soft overall.",
            ),
        ]
    for kind, start, end, region, note in marks:
        review_services.mark_create(
            scope=scope,
            media=fake,
            kind=kind,
            start_frame=start,
            end_frame=end,
            region=region,
            note=note,
        )


# export --------------------------------------------------------------------------------


def _export_done(demo: _Demo) -> bool:
    return (
        DatasetExport.objects.filter(project=demo.project, name=EXPORT_NAME)
        .exclude(artifact="")
        .exists()
    )


def _export_jobs(demo: _Demo) -> QuerySet[Job]:
    return demo.jobs(export_services.EXPORT_JOB)


def _export_start(demo: _Demo) -> None:
    options: dict = {"frames_per_video": 4}
    selection = {"label_source": "ground_truth"}
    try:
        export_services.export_preview(project=demo.project, selection=selection, options=options)
    except ApplicationError as exc:  # a few people cannot fill three identity-disjoint splits
        suggested = (exc.extra or {}).get("suggested_ratios")
        if exc.code != "split_impossible" or not suggested:
            raise
        options["ratios"] = suggested
    export_services.export_request(
        project=demo.project,
        name=EXPORT_NAME,
        selection=selection,
        options=options,
        requested_by=demo.owner,
    )


def _faceset_links(demo: _Demo) -> list[Link]:
    return [Link("faceset", f"Faceset: {f.name}", f.pk) for f in demo.facesets()]


def _model_links(demo: _Demo) -> list[Link]:
    model = demo.model()
    return [Link("swap_model", "Swap model: loss curves and previews", model.pk)] if model else []


def _fake_links(demo: _Demo) -> list[Link]:
    fake = demo.fake()
    return [Link("media", "The fake video", fake.pk)] if fake else []


def _review_links(demo: _Demo) -> list[Link]:
    fake = demo.fake()
    if fake is None:
        return []
    return [
        Link("review", "Review dashboard"),
        Link("workspace", "Workspace: heat map", fake.pk),
        Link("report", "Fact-check report", fake.pk),
    ]


STEPS: tuple[Step, ...] = (
    Step("media", "Probe the demo media", (), _media_done, _media_jobs, None),
    Step(
        "facesets",
        "Extract the faces of two people",
        ("media",),
        _facesets_done,
        lambda d: d.jobs(faceset_services.EXTRACT_JOB),
        _facesets_start,
        ready=_facesets_ready,
        waits="Waits for the two people's videos",
        links=_faceset_links,
    ),
    Step(
        "swap_model",
        "Train a small swap model",
        ("facesets",),
        _model_done,
        _model_jobs,
        _model_start,
        links=_model_links,
    ),
    Step(
        "conversion",
        "Convert a video into a fake with ground truth",
        ("swap_model",),
        _conversion_done,
        _conversion_jobs,
        _conversion_start,
        links=_fake_links,
    ),
    Step(
        "detection",
        "Run the built-in detector on every video",
        ("media",),
        _detection_done,
        lambda d: d.jobs(detection_services.DETECT_JOB),
        _detection_start,
        ready=lambda d: bool(_undetected(d)),
        waits="Waits for the demo's fake video (conversion)",
        links=lambda d: [Link("detection", "Detection: scores and heat maps")],
    ),
    Step(
        "review",
        "Two reviewers' verdicts and marks, an adjudication, a gold video",
        ("conversion",),
        _review_done,
        lambda d: Job.objects.none(),
        _review_start,
        links=_review_links,
    ),
    Step(
        "export",
        "Export a labeled dataset with its datasheet",
        ("review", "detection"),
        _export_done,
        _export_jobs,
        _export_start,
        links=lambda d: [Link("exports", "Export and its datasheet")],
    ),
)


# -- state, advance, retry -------------------------------------------------------------


@dataclass(frozen=True)
class StepState:
    name: str
    title: str
    status: str  # done | running | failed | waiting | ready
    progress: float  # 0..1
    message: str
    job_ids: list[int]
    links: list[Link] = field(default_factory=list)


def _unanswered_failures(jobs: QuerySet[Job]) -> QuerySet[Job]:
    """Failed or cancelled jobs nobody has retried yet."""
    return jobs.filter(status__in=(JobStatus.FAILED, JobStatus.CANCELLED), retries__isnull=True)


def _step_state(step: Step, demo: _Demo, done: dict[str, bool]) -> StepState:
    jobs = list(step.jobs(demo).order_by("created_at", "id"))
    ids = [job.pk for job in jobs]
    if done[step.name]:
        return StepState(step.name, step.title, "done", 1.0, "Done", ids, step.links(demo))
    active = [job for job in jobs if job.status in ACTIVE_STATUSES]
    failed = list(_unanswered_failures(step.jobs(demo)).order_by("-finished_at"))
    error = demo.build.errors.get(step.name)
    if failed or error:
        why = error or (failed[0].error.splitlines()[0] if failed and failed[0].error else "")
        what = "cancelled" if failed and failed[0].status == JobStatus.CANCELLED else "failed"
        message = f"This step {what}: {why}" if why else f"This step {what}."
        return StepState(step.name, step.title, "failed", 0.0, message, ids)
    if active:
        progress = sum(job.progress for job in active) / len(active)
        return StepState(step.name, step.title, "running", progress, active[0].message, ids)
    missing = [need for need in step.needs if not done[need]]
    if missing:
        titles = ", ".join(s.title.lower() for s in STEPS if s.name in missing)
        return StepState(step.name, step.title, "waiting", 0.0, f"Waits for: {titles}", ids)
    if not step.ready(demo):
        return StepState(step.name, step.title, "waiting", 0.0, step.waits, ids)
    return StepState(step.name, step.title, "ready", 0.0, "Starting…", ids)


def demo_status(*, project: Project) -> dict | None:
    """Every step's state, or None when the project is not the demo."""
    build = DemoBuild.objects.filter(project=project).first()
    if build is None:
        return None
    demo = _Demo.load(project, build)
    done = {step.name: step.done(demo) for step in STEPS}
    steps = [_step_state(step, demo, done) for step in STEPS]
    return {
        "complete": all(done.values()),
        "has_media": bool(demo.media),
        "started_at": build.started_at,
        "completed_at": build.completed_at,
        "progress": sum(1.0 if s.status == "done" else s.progress for s in steps) / len(steps),
        "steps": [asdict(s) for s in steps],
    }


def demo_advance(*, project: Project) -> list[str]:
    """Start every step whose needs are done and that is neither running nor failed;
    returns the names of the steps started. Safe to call any time, any number of times."""
    with transaction.atomic():
        build = DemoBuild.objects.select_for_update().filter(project=project).first()
        if build is None or build.completed_at is not None:
            return []
        demo = _Demo.load(project, build)
        if not demo.media:
            return []
        done = {step.name: step.done(demo) for step in STEPS}
        started = []
        for step in STEPS:
            state = _step_state(step, demo, done)
            if state.status != "ready" or step.start is None:
                continue
            try:
                with transaction.atomic():
                    step.start(demo)
            except ApplicationError as exc:  # shown on the step; retry clears it
                build.errors[step.name] = exc.message
                build.save(update_fields=["errors"])
            else:
                started.append(step.name)
        if all(done.values()):  # nothing was left to start: the last job just finished
            build.completed_at = timezone.now()
            build.save(update_fields=["completed_at"])
    return started


def demo_retry(*, project: Project, user: AbstractBaseUser) -> list[Job]:
    """Retry every failed or cancelled job of an unfinished step, clear the steps' start
    errors, and go on with the build."""
    build = DemoBuild.objects.filter(project=project).first()
    if build is None:
        raise ApplicationError("This project is not the demo.", code="not_demo", status=404)
    demo = _Demo.load(project, build)
    retried = []
    for step in STEPS:
        if not step.done(demo):
            retried += [
                job_services.job_retry(job=job, user=user)
                for job in _unanswered_failures(step.jobs(demo))
            ]
    DemoBuild.objects.filter(pk=build.pk).update(errors={})
    demo_advance(project=project)
    return retried
