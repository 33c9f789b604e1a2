"""Who may call what: one row per endpoint and method, as data.

``min_role`` is the least role that succeeds. Expected answers follow from it:
anonymous 401 (pages and files: redirect to login), a signed-in user outside
the project 404 (they must not learn it exists), a member below ``min_role``
403, ``min_role`` and above ``ok``. "user" means any signed-in user.
A new endpoint without rows here fails test_matrix_covers_every_endpoint.
"""

# A table, one aligned row per endpoint and method: the formatter leaves it as it is.
# fmt: off
MATRIX: list[tuple[str, str, str, int]] = [
    # endpoint name       method    min_role    ok
    ("project-list",      "GET",    "user",     200),
    ("project-list",      "POST",   "user",     201),
    ("project-detail",    "GET",    "viewer",   200),
    ("project-detail",    "PATCH",  "owner",    200),
    ("project-detail",    "DELETE", "owner",    204),
    ("member-list",       "GET",    "viewer",   200),
    ("member-list",       "POST",   "owner",    201),
    ("member-detail",     "PATCH",  "owner",    200),
    ("member-detail",     "DELETE", "owner",    204),
    ("identity-list",     "GET",    "viewer",   200),
    ("identity-list",     "POST",   "curator",  201),
    ("identity-detail",   "GET",    "viewer",   200),
    ("identity-detail",   "PATCH",  "curator",  200),
    ("identity-detail",   "DELETE", "curator",  204),
    ("media-list",        "GET",    "viewer",   200),
    ("media-list",        "POST",   "curator",  201),
    ("media-detail",      "GET",    "viewer",   200),
    ("media-detail",      "PATCH",  "curator",  200),
    ("media-detail",      "DELETE", "curator",  204),
    ("job-list",          "GET",    "viewer",   200),
    ("job-detail",        "GET",    "viewer",   200),
    ("job-cancel",        "POST",   "curator",  200),
    ("job-retry",         "POST",   "curator",  201),
    ("demo-list",         "GET",    "viewer",   200),
    ("demo-retry",        "POST",   "curator",  201),
    ("media-file",        "GET",    "viewer",   200),
    ("faceset-list",      "GET",    "viewer",   200),
    ("faceset-list",      "POST",   "curator",  201),
    ("faceset-detail",    "GET",    "viewer",   200),
    ("faceset-detail",    "DELETE", "curator",  204),
    ("faceset-extract",   "POST",   "curator",  201),
    ("faceset-history",   "GET",    "viewer",   200),
    ("faceset-stats",     "GET",    "viewer",   200),
    ("faceset-undo",      "POST",   "curator",  200),
    ("faceset-merge",     "POST",   "curator",  200),
    ("faceset-dedupe",    "POST",   "curator",  200),
    ("faceset-best",      "POST",   "curator",  200),
    ("faceset-split",     "POST",   "curator",  200),
    ("faceset-keep-person", "POST", "curator",  200),
    ("faceset-export",    "POST",   "curator",  201),
    ("faceset-import-faces", "POST", "curator", 201),
    ("job-artifact",      "GET",    "viewer",   200),
    ("face-move",         "POST",   "curator",  200),
    ("face-list",         "GET",    "viewer",   200),
    ("face-detail",       "GET",    "viewer",   200),
    ("face-ids",          "GET",    "viewer",   200),
    ("face-remove",       "POST",   "curator",  200),
    ("face-restore",      "POST",   "curator",  200),
    ("face-file",         "GET",    "viewer",   200),
    ("consent-list",      "GET",    "viewer",   200),
    ("consent-list",      "POST",   "curator",  201),
    ("consent-detail",    "DELETE", "owner",    204),
    ("consent-evidence",  "GET",    "curator",  200),
    ("swapmodel-list",    "GET",    "viewer",   200),
    ("swapmodel-list",    "POST",   "curator",  201),
    ("swapmodel-detail",  "GET",    "viewer",   200),
    ("swapmodel-detail",  "DELETE", "owner",    204),
    ("swapmodel-train",   "POST",   "curator",  201),
    ("swapmodel-stop",    "POST",   "curator",  200),
    ("swapmodel-convert", "POST",   "curator",  201),
    ("swapmodel-preview", "POST",   "curator",  201),
    ("swap-preview-file", "GET",    "viewer",   200),
    ("conversion-list",   "GET",    "viewer",   200),
    ("conversion-detail", "GET",    "viewer",   200),
    ("conversion-masks",  "GET",    "viewer",   200),
    ("conversion-mask-frame", "GET", "viewer",  200),
    ("detector-list",     "GET",    "viewer",   200),
    ("detector-list",     "POST",   "curator",  201),
    ("detector-detail",   "GET",    "viewer",   200),
    ("detector-detail",   "DELETE", "owner",    204),
    ("detector-train",    "POST",   "curator",  201),
    ("detector-evaluation", "GET",  "viewer",   200),
    ("detector-caught",   "GET",    "viewer",   200),
    ("detection-list",    "GET",    "viewer",   200),
    ("detection-list",    "POST",   "curator",  201),
    ("detection-detail",  "GET",    "viewer",   200),
    ("detection-result",  "GET",    "viewer",   200),
    ("media-frame",       "GET",    "viewer",   200),
    ("export-list",       "GET",    "viewer",   200),
    ("export-list",       "POST",   "curator",  201),
    ("export-detail",     "GET",    "viewer",   200),
    ("export-detail",     "DELETE", "curator",  204),
    ("export-preview",    "POST",   "curator",  200),
    ("export-download",   "GET",    "curator",  200),
    ("import-list",       "GET",    "user",     200),
    ("import-list",       "POST",   "user",     201),
    ("job-options",       "GET",    "user",     200),
    ("artifactkind-list", "GET",    "viewer",   200),
    ("artifactkind-list", "POST",   "curator",  201),
    ("artifactkind-detail", "DELETE", "curator", 204),
    ("mark-list",         "GET",    "viewer",   200),
    ("mark-list",         "POST",   "reviewer", 201),
    ("mark-detail",       "GET",    "viewer",   200),
    ("mark-detail",       "PATCH",  "reviewer", 200),
    ("mark-detail",       "DELETE", "reviewer", 204),
    ("markexchange-export", "GET",  "viewer",   200),
    ("markexchange-import", "POST", "reviewer", 200),
    ("verdict-list",      "GET",    "viewer",   200),
    ("verdict-list",      "POST",   "reviewer", 201),
    ("assignment-list",   "GET",    "viewer",   200),
    ("assignment-list",   "POST",   "curator",  201),
    ("assignment-detail", "DELETE", "curator",  204),
    ("assignment-inbox",  "GET",    "reviewer", 200),
    ("comment-list",      "GET",    "viewer",   200),
    ("comment-list",      "POST",   "reviewer", 201),
    ("comment-detail",    "DELETE", "reviewer", 204),
    ("review-list",       "GET",    "viewer",   200),
    ("review-detail",     "GET",    "viewer",   200),
    ("review-timeline",   "GET",    "viewer",   200),
    ("review-mark-changes", "GET",  "viewer",   200),
    ("review-agreement",  "GET",    "viewer",   200),
    ("review-adjudicate", "POST",   "owner",    200),
    ("review-gold",       "POST",   "owner",    200),
    ("review-gold",       "DELETE", "owner",    204),
    ("project-detail-page", "GET",  "viewer",   200),
    ("media-detail-page", "GET",    "viewer",   200),
    ("review-workspace-page", "GET", "viewer",  200),
    ("review-page",       "GET",    "viewer",   200),
    ("review-report-page", "GET",   "viewer",   200),
    ("member-add-page",   "POST",   "owner",    302),
    ("member-change-page", "POST",  "owner",    302),
    ("identity-add-page", "POST",   "curator",  302),
    ("faceset-add-page",  "POST",   "curator",  302),
    ("faceset-detail-page", "GET",  "viewer",   200),
    ("swap-model-detail-page", "GET", "viewer", 200),
    ("detection-page",    "GET",    "viewer",   200),
    ("detection-explanations-page", "GET", "viewer", 200),
    ("exports-page",      "GET",    "viewer",   200),
]
# fmt: on

# Endpoints that hold no project data and are open to everyone by design.
PUBLIC = {"api-root", "api-schema", "api-docs", "api-redoc", "api-token", "login", "logout"}
# Pages only for signed-in users but not scoped to one project.
USER_ONLY = {"project-list-page"}

ROLE_ORDER = ["viewer", "reviewer", "curator", "owner"]


def expected_status(min_role: str, ok: int, caller: str, *, page: bool) -> int:
    if caller == "anon":
        return 302 if page else 401
    if min_role == "user":
        return ok
    if caller == "outsider":
        return 404
    if ROLE_ORDER.index(caller) < ROLE_ORDER.index(min_role):
        return 403
    return ok
