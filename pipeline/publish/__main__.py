"""Publish a finished build from the command line (used by the kill test and by hand).

``python -m pipeline.publish <build.duckdb> <out_dir> [--h3-resolution 9] [--token ID]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.publish.outputs import publish_outputs


def main(argv: list[str] | None = None) -> int:
    """Publish and print the release id."""
    parser = argparse.ArgumentParser(prog="python -m pipeline.publish", description=__doc__)
    parser.add_argument("build", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--h3-resolution", type=int, default=9)
    parser.add_argument("--token", default=None)
    args = parser.parse_args(argv)
    release = publish_outputs(
        args.build, args.out_dir, h3_resolution=args.h3_resolution, run_token=args.token
    )
    print(f"PUBLISHED {release.release_id}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
