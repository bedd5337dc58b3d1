"""CLI: ``python -m alpr.synth OUT --n 500 --seed 1 [--options synth.yaml] [--overwrite]``."""

from __future__ import annotations

import argparse
import logging

from alpr.config_loader import load_yaml_model
from alpr.synth import SynthOptions, generate_dataset


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m alpr.synth",
        description="Generate labelme-annotated synthetic licence-plate images.",
    )
    parser.add_argument("out", help="output folder: local path or fsspec URL (gs://...)")
    parser.add_argument("--n", type=int, default=500, help="number of images (default 500)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--options", help="YAML file with generator options (SynthOptions)")
    parser.add_argument("--overwrite", action="store_true", help="write into a folder that already holds files")
    args = parser.parse_args(argv)
    if args.n < 0:
        parser.error("--n must be >= 0")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    options = load_yaml_model(args.options, SynthOptions) if args.options else SynthOptions()
    try:
        summary = generate_dataset(args.out, n=args.n, seed=args.seed, options=options, overwrite=args.overwrite)
    except FileExistsError as exc:
        parser.error(str(exc))
    print(
        f"wrote {summary.images} images with {summary.plates} plates "
        f"({summary.shapes} polygons) to {summary.out_dir}"
    )


if __name__ == "__main__":
    main()
