"""Probe and preview speed on real clips: prints a table of figures.

    .venv/bin/python bench/media_pipeline.py [FILE...]

Without arguments it uses the public-domain clip and four other real videos from the
shared media (``DEEPREVIEW_SHARED_MEDIA``, default ../shared/media). Figures: probe
milliseconds (demux only), frames per second of the one-pass preview render (poster +
sprite + timestamps), and with a forced browser proxy (H.264 encode) as well.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from deepreview_workers.pipeline.video_io import probe_media, render_previews  # noqa: E402
from tests.media_paths import PD_CLIP, REAL_VIDEOS  # noqa: E402


def default_files() -> list[Path]:
    others = sorted(p for p in REAL_VIDEOS.glob("*.mp4") if p != PD_CLIP)
    return [PD_CLIP, *others[:4]]


def time_call(func, repeat: int) -> float:  # noqa: ANN001
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main(argv: list[str]) -> None:
    files = [Path(a) for a in argv] or default_files()
    print(
        f"{'file':44} {'frames':>7} {'size':>10} {'probe ms':>9} {'previews fps':>13} "
        f"{'with proxy fps':>15}"
    )
    for path in files:
        probe = probe_media(path)
        probe_s = time_call(lambda p=path: probe_media(p), 5)
        with tempfile.TemporaryDirectory() as out:
            plain_s = time_call(lambda p=path, o=out: render_previews(p, o, make_proxy=False), 2)
            proxy_s = time_call(lambda p=path, o=out: render_previews(p, o, make_proxy=True), 1)
        size = f"{probe.width}x{probe.height}"
        print(
            f"{path.name[:44]:44} {probe.frame_count:7d} {size:>10} {probe_s * 1000:9.1f} "
            f"{probe.frame_count / plain_s:13.0f} {probe.frame_count / proxy_s:15.0f}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
