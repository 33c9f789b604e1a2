"""The image-folder export loads with Hugging Face ``datasets`` offline, with the same
rows and labels as metadata.csv.

It runs in a child process so the offline switches and the empty cache are in place
before ``datasets`` is imported (it reads them once, at import).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

LOAD = """
import json, sys
import datasets
loaded = datasets.load_dataset("imagefolder", data_dir=sys.argv[1])
out = {}
for split, table in loaded.items():
    paths = table.cast_column("image", datasets.Image(decode=False))
    out[split] = [
        {"image": row["image"]["path"], "label": row["label"], "video": row["video"],
         "frame": row["frame"], "identity": row["identity"], "mask": row["mask"]}
        for row in paths
    ]
    out[split + ":size"] = list(table[0]["image"].size)
print(json.dumps(out))
"""


def test_datasets_imagefolder_loads_the_same_rows_and_labels(main_export, tmp_path):
    env = {
        **os.environ,
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf"),
        "HF_DATASETS_CACHE": str(tmp_path / "hf" / "datasets"),
    }
    folder = main_export.folder / "imagefolder"
    done = subprocess.run(
        [sys.executable, "-c", LOAD, str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    with open(main_export.folder / "metadata.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for split in ("train", "validation", "test"):
        expected = sorted(
            (
                str(main_export.folder / r["path"]),
                r["label"],
                r["video"],
                int(r["frame"]),
                r["identity"],
                r["mask"],
            )
            for r in rows
            if r["split"] == split
        )
        got = sorted(
            (r["image"], r["label"], r["video"], r["frame"], r["identity"], r["mask"])
            for r in loaded[split]
        )
        assert got == expected and len(got) > 0
        assert loaded[f"{split}:size"] == [96, 96]
    assert set(k for k in loaded if ":" not in k) == {"train", "validation", "test"}
