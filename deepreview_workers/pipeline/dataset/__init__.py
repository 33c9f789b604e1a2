"""Labeled dataset exports: a library, no web stack (see DESIGN.md).

Entry points (import them from their modules; this package imports nothing, so the web
side can read :mod:`.types` and :mod:`.splits` without loading torch or PyAV):

- :mod:`.types`: the contract with the app (``ExportVideo``, ``ExportOptions``,
  ``ExportRequest``, ``ExportSummary``) and the layout of an export;
- :mod:`.splits`: ``assign_splits`` (identity-disjoint, seeded; ``SplitError``) and
  ``identity_overlap``;
- :mod:`.build`: ``build_dataset`` (the deterministic zip) and ``check_request``;
- :mod:`.read`: ``read_export`` and ``verify_manifest`` (``ExportError``);
- :mod:`.encode`: ``encode_video`` at FaceForensics++'s c0 / c23 / c40;
- :mod:`.maskvideo`: ``write_mask_video`` / ``read_mask_video``, a fake's ground-truth
  masks as one lossless video, FaceForensics++'s ``masks/videos/<id>.mp4``;
- :mod:`.faces`, :mod:`.dedupe`, :mod:`.tables`, :mod:`.datasheet`, :mod:`.archive`,
  :mod:`.layout`: the builder's parts.
"""
