"""``python -m pipeline.sample [--out DIR] [--seed N] [--scale S] [--force]``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pipeline.sample import SAMPLE_DIR
from pipeline.sample.generate import ensure_sample, generate_sample, read_manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.sample", description=__doc__)
    parser.add_argument(
        "--out", type=Path, default=None, help=f"target folder (default {SAMPLE_DIR})"
    )
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--force", action="store_true", help="regenerate even if complete")
    args = parser.parse_args(argv)
    out = args.out or SAMPLE_DIR
    start = time.perf_counter()
    if args.force:
        generate_sample(out, seed=args.seed, scale=args.scale)
    else:
        ensure_sample(out, seed=args.seed, scale=args.scale)
    manifest = read_manifest(out) or {}
    for layer in manifest.get("layers", []):
        print(f"{layer['name']:<26} {layer['features']:>7}  {layer['path']}")
    print(f"sample in {out} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
