"""The artifact taxonomy's kind slugs, as the detection library names them.

The product's taxonomy (docs: DESIGN.md "Artifact taxonomy") is data a project can
extend; this tuple is the built-in starting set, in the order DESIGN.md lists it, so a
forensic signal can say which kind of artifact it measures and the review UI can put
its track next to the reviewers' marks of that kind. A data fixture for the taxonomy
should be generated from (or checked against) :data:`ARTIFACT_KINDS`.
"""

from __future__ import annotations

#: (slug, label) of every built-in artifact kind.
ARTIFACT_KINDS: tuple[tuple[str, str], ...] = (
    ("face-blur", "Face blur compared with the rest of the frame"),
    ("skin-tone-mismatch", "Skin-tone mismatch"),
    ("edge-seam", "Edge seam / visible boundary or box around the face"),
    ("double-eyebrows", "Double eyebrows"),
    ("double-edges", "Double chin or double edges"),
    ("ghosting", "Ghosting"),
    ("flicker", "Flicker (frame-to-frame tone or lighting jumps)"),
    ("teeth", "Blurry, missing or too many teeth"),
    ("lip-sync", "Lip-sync mismatch"),
    ("gaze-error", "Lazy eye or gaze error"),
    ("non-circular-pupil", "Non-circular pupil"),
    ("missing-eyeglass-temple", "Missing eyeglass temple"),
    ("occlusion-glitch", "Occlusion glitch (hand or object in front of the face)"),
    ("glare-error", "Glare or reflection error"),
    ("side-profile-failure", "Side-profile failure"),
    ("face-shape-mismatch", "Face shape or aspect mismatch"),
    ("texture-mismatch", "Texture mismatch with neck, arms or body"),
    ("unnatural-head-movement", "Unnatural head movement"),
    ("dropped-frames", "Dropped or duplicated frames"),
    ("gan-traces", "GAN traces (blob, broken background structure, asymmetric earrings)"),
)

ARTIFACT_KIND_SLUGS: frozenset[str] = frozenset(slug for slug, _label in ARTIFACT_KINDS)


def artifact_label(slug: str) -> str:
    """The human label of a built-in kind; ``ValueError`` for an unknown slug."""
    for known, label in ARTIFACT_KINDS:
        if known == slug:
            return label
    raise ValueError(
        f"Unknown artifact kind '{slug}'; choose one of: {sorted(ARTIFACT_KIND_SLUGS)}"
    )
