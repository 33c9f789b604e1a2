"""This installation's C2PA signing key: made once, on first use, then reused.

    key = installation_key(Path("var/provenance"))          # creates it the first time
    key = installation_key(Path("var/provenance"), create=False)   # None until then

The folder holds a P-256 private key and a two-certificate chain that c2pa-rs accepts
as a signer (its certificate profile refuses a self-signed end-entity certificate):

- ``root-ca.pem``: a local root CA, made with the key and never used again (its private
  key is discarded, so nobody can issue another certificate under it);
- ``signing-cert.pem``: the signing certificate, issued by that root: not a CA,
  ``digitalSignature`` key usage (critical), ``emailProtection`` and document-signing
  extended key usages;
- ``signing-key.pem``: its private key (PKCS#8), readable by the owner alone (0600);
- ``installation.json``: the installation's id and when the key was made.

No certificate authority anyone else trusts issued it, so other validators report the
signer as untrusted; this installation recognises its own root (``trust_anchors_pem``),
and roots of earlier keys kept in ``previous-roots/*.pem`` after a rotation.
"""

from __future__ import annotations

import datetime
import fcntl
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KEY_FILE = "signing-key.pem"
CERT_FILE = "signing-cert.pem"
ROOT_FILE = "root-ca.pem"
INFO_FILE = "installation.json"
PREVIOUS_ROOTS = "previous-roots"
# id-kp-documentSigning (RFC 9336): the purpose c2pa names besides emailProtection.
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
VALID_YEARS = 20  # a local key; rotation is by hand (README), not by expiry


class ProvenanceKeyError(RuntimeError):
    """The key folder exists but cannot be used; the message names the file and the fix."""


@dataclass(frozen=True)
class InstallationKey:
    installation_id: str
    created_at: str  # ISO 8601, UTC
    private_key_pem: bytes
    chain_pem: bytes  # signing certificate then root, as c2pa wants them
    root_pem: bytes
    folder: Path

    @property
    def certificate_fingerprint(self) -> str:
        """SHA-256 of the signing certificate (DER), hex: what a reader compares."""
        cert = x509.load_pem_x509_certificate(self.chain_pem)
        return cert.fingerprint(hashes.SHA256()).hex()

    def trust_anchors_pem(self) -> str:
        """This key's root and every earlier root kept in ``previous-roots/``."""
        roots = [self.root_pem.decode()]
        for path in sorted((self.folder / PREVIOUS_ROOTS).glob("*.pem")):
            roots.append(path.read_text())
        return "\n".join(root.strip() for root in roots) + "\n"


def installation_key(folder: Path, *, create: bool = True) -> InstallationKey | None:
    """The key in ``folder``; made there first when missing and ``create`` (else None).

    Raises :class:`ProvenanceKeyError` when a file of it is missing or unreadable.
    """
    if not (folder / KEY_FILE).exists():
        if not create:
            return None
        _create(folder)
    return _load(folder)


def _create(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    with os.fdopen(os.open(folder / ".lock", os.O_WRONLY | os.O_CREAT, 0o600), "w") as lock:
        # Workers may start together: one makes the key, the others wait and load it.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / KEY_FILE).exists():
            _write_new_key(folder)


def _write_new_key(folder: Path) -> None:
    """The files, each written whole then renamed into place, the key last: a key file
    that exists means the rest of the set does too (the folder may be a mount point,
    so the set cannot be renamed in as one folder)."""
    installation_id = uuid.uuid4().hex
    now = datetime.datetime.now(datetime.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(f"deepreview installation {installation_id[:12]} root")
    root = (
        _certificate(root_name, root_name, root_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    signing_key = ec.generate_private_key(ec.SECP256R1())
    name = _name(f"deepreview installation {installation_id[:12]}")
    cert = (
        _certificate(name, root_name, signing_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = signing_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    info = {"installation_id": installation_id, "created_at": now.isoformat(timespec="seconds")}
    for file_name, data in [
        (CERT_FILE, cert.public_bytes(pem) + root.public_bytes(pem)),
        (ROOT_FILE, root.public_bytes(pem)),
        (INFO_FILE, json.dumps(info, indent=2).encode()),
        (KEY_FILE, key_pem),
    ]:
        partial = folder / f".{file_name}.partial"
        partial.unlink(missing_ok=True)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        partial.rename(folder / file_name)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "deepreview"),
        ]
    )


def _certificate(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    now: datetime.datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # clocks of other hosts
        .not_valid_after(now + datetime.timedelta(days=365 * VALID_YEARS))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _unusable(path: Path, reason: str) -> ProvenanceKeyError:
    return ProvenanceKeyError(
        f"The C2PA signing key file {path} is unusable: {reason}. Restore the folder "
        f"{path.parent} from a backup, or move it aside to make a new key on the next "
        "conversion (fakes signed with the old key then show an unknown signer unless "
        f"its {ROOT_FILE} is copied into {PREVIOUS_ROOTS}/)."
    )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _unusable(path, exc.strerror or str(exc)) from None


def _load(folder: Path) -> InstallationKey:
    key_pem, chain_pem = _read(folder / KEY_FILE), _read(folder / CERT_FILE)
    root_pem, info_bytes = _read(folder / ROOT_FILE), _read(folder / INFO_FILE)
    try:
        private_key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise _unusable(folder / KEY_FILE, "not a PEM private key") from None
    try:
        certificates = x509.load_pem_x509_certificates(chain_pem)
        x509.load_pem_x509_certificate(root_pem)
    except ValueError:
        raise _unusable(folder / CERT_FILE, "not a PEM certificate chain") from None
    if not isinstance(private_key, ec.EllipticCurvePrivateKey) or (
        certificates[0].public_key() != private_key.public_key()
    ):
        raise _unusable(folder / KEY_FILE, f"it is not the key of {CERT_FILE}")
    try:
        info = json.loads(info_bytes)
        installation_id, created_at = str(info["installation_id"]), str(info["created_at"])
    except (ValueError, KeyError, TypeError):
        raise _unusable(folder / INFO_FILE, "not the JSON this folder was made with") from None
    return InstallationKey(
        installation_id=installation_id,
        created_at=created_at,
        private_key_pem=key_pem,
        chain_pem=chain_pem,
        root_pem=root_pem,
        folder=folder,
    )
