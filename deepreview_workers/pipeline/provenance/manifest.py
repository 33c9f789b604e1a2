"""C2PA manifests: sign a fake as AI-generated, and read what any file carries.

    sign_fake_video(Path("converted.mp4"), Path("signed.mp4"), key=key,
                    title="clip.mp4", description="Face swap by model X", details={...})
    summary = read_manifest(Path("upload.mp4"), trust_anchors_pem=key.trust_anchors_pem())

The signed file is the input with a C2PA manifest box added; its ``c2pa.actions``
assertion says ``c2pa.created`` with the IPTC digital source type
``trainedAlgorithmicMedia``, and an ``org.deepreview.fake`` assertion carries
``details`` (the model, facesets, consent records, options, installation and time the
caller passes). The hash binding covers the whole file outside the manifest, so
changing any byte of the video makes verification fail.

Reading never touches the network: no remote manifests, no OCSP, no timestamp authority.
Integrity (hashes and the claim signature) is the pass/fail; whether the signer is
trusted is reported apart, since only this installation's roots are trust anchors.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import c2pa

from deepreview_workers.pipeline.provenance.keys import InstallationKey

IPTC_SOURCE_TYPES = "http://cv.iptc.org/newscodes/digitalsourcetype/"
AI_SOURCE_TYPE = "trainedAlgorithmicMedia"
# IPTC digital source types that say a model trained on data made (part of) the media.
AI_SOURCE_TYPES = frozenset(
    {AI_SOURCE_TYPE, "compositeWithTrainedAlgorithmicMedia", "compositeSynthetic"}
)
FAKE_ASSERTION = "org.deepreview.fake"
# Without a trust list every outside signer is untrusted: not an integrity failure.
UNTRUSTED_SIGNER = "signingCredential.untrusted"
_OFFLINE = {"remote_manifest_fetch": False, "ocsp_fetch": False}


class ManifestSigningError(RuntimeError):
    """c2pa refused to sign the file (an unsupported container, a bad key)."""


@dataclass(frozen=True)
class ManifestSummary:
    """What a file's active C2PA manifest says, and whether it verifies.

    ``state``: "absent" (no manifest), "trusted" (intact, signed under one of the trust
    anchors), "valid" (intact, other signer), "invalid" (a hash or signature check
    failed) or "unreadable" (the manifest could not be parsed).
    """

    state: str
    integrity_ok: bool = False
    signed_by_installation: bool = False
    claim_generator: str = ""
    signer: str = ""
    title: str = ""
    actions: list[dict[str, str]] = field(default_factory=list)
    ai_generated: bool = False
    details: dict[str, Any] | None = None  # the org.deepreview.fake assertion, when present
    errors: list[str] = field(default_factory=list)

    @property
    def present(self) -> bool:
        return self.state != "absent"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "present": self.present}


def fake_manifest_definition(*, title: str, description: str, details: dict) -> dict:
    """The manifest definition (c2pa's JSON) of a fake this tool made."""
    return {
        "claim_generator_info": [{"name": "deepreview", "version": _version()}],
        "title": title,
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": IPTC_SOURCE_TYPES + AI_SOURCE_TYPE,
                            "softwareAgent": {"name": "deepreview", "version": _version()},
                            "description": description,
                        }
                    ]
                },
            },
            {"label": FAKE_ASSERTION, "data": details},
        ],
    }


def sign_fake_video(
    source: Path, target: Path, *, key: InstallationKey, title: str, description: str, details: dict
) -> None:
    """Write ``source`` with a signed "AI-generated" manifest to ``target`` (an MP4)."""
    definition = fake_manifest_definition(title=title, description=description, details=details)
    # No timestamp authority: the installation has no network; the claim holds the time.
    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, key.chain_pem, key.private_key_pem, None)
    try:
        with (
            c2pa.Signer.from_info(info) as signer,
            c2pa.Builder.from_json(definition) as builder,
            source.open("rb") as source_file,
            target.open("w+b") as target_file,
        ):
            builder.sign(signer, "video/mp4", source_file, target_file)
    except c2pa.C2paError as exc:
        raise ManifestSigningError(f"C2PA signing of {source.name} failed: {exc}") from None


def read_manifest(path: Path, *, trust_anchors_pem: str | None = None) -> ManifestSummary:
    """Verify the C2PA manifest of ``path`` (format from its contents) and summarise it."""
    verify: dict[str, Any] = dict(_OFFLINE)
    settings: dict[str, Any] = {"verify": verify}
    if trust_anchors_pem:
        verify["verify_trust"] = True
        settings["trust"] = {"user_anchors": trust_anchors_pem}
    try:
        with c2pa.Context.from_dict(settings) as context, path.open("rb") as stream:
            # A stream alone: c2pa tells the format from the bytes, not the file name.
            reader = c2pa.Reader.try_create(stream, context=context)
            if reader is None:
                return ManifestSummary(state="absent")
            with reader:
                store = json.loads(reader.json())
    except c2pa.C2paError as exc:
        if "NotSupported" in type(exc).__name__:
            return ManifestSummary(state="absent")  # a format C2PA cannot carry
        return ManifestSummary(state="unreadable", errors=[str(exc)])
    return _summary(store)


def _summary(store: dict[str, Any]) -> ManifestSummary:
    manifest = store.get("manifests", {}).get(store.get("active_manifest"), {})
    results = store.get("validation_results", {}).get("activeManifest", {})
    failures = [f for f in results.get("failure", []) if f.get("code") != UNTRUSTED_SIGNER]
    state = str(store.get("validation_state", "")).lower()
    intact = not failures and state in ("valid", "trusted")
    actions = [
        {
            "action": str(action.get("action", "")),
            "digital_source_type": str(action.get("digitalSourceType", "")).rsplit("/", 1)[-1],
            "software_agent": _agent(action.get("softwareAgent")),
            "description": str(action.get("description", "")),
        }
        for assertion in manifest.get("assertions", [])
        if assertion.get("label", "").startswith("c2pa.actions")
        for action in assertion.get("data", {}).get("actions", [])
    ]
    details = next(
        (a.get("data") for a in manifest.get("assertions", []) if a.get("label") == FAKE_ASSERTION),
        None,
    )
    signature = manifest.get("signature_info", {})
    return ManifestSummary(
        state=("trusted" if state == "trusted" else "valid") if intact else "invalid",
        integrity_ok=intact,
        signed_by_installation=intact and state == "trusted",
        claim_generator=", ".join(
            f"{g.get('name', '')} {g.get('version', '')}".strip()
            for g in manifest.get("claim_generator_info", [])
        )
        or str(manifest.get("claim_generator", "")),
        signer=str(signature.get("common_name") or signature.get("issuer") or ""),
        title=str(manifest.get("title", "")),
        actions=actions,
        ai_generated=any(a["digital_source_type"] in AI_SOURCE_TYPES for a in actions),
        details=details,
        errors=[f"{f.get('code')}: {f.get('explanation', '')}" for f in failures],
    )


def _agent(agent: object) -> str:
    if isinstance(agent, dict):
        return f"{agent.get('name', '')} {agent.get('version', '')}".strip()
    return str(agent or "")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("deepreview")
    except PackageNotFoundError:  # a checkout run without installing it
        return "0.1.0"
