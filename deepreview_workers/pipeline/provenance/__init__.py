"""Provenance of the media this tool makes and reads: C2PA manifests and the
installation's signing key (:mod:`.keys`, :mod:`.manifest`)."""
