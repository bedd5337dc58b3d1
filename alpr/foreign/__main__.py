"""CLI: ``python -m alpr.foreign OUT --n 200 --seed 1 [--options foreign.yaml] [--overwrite]``."""

from __future__ import annotations

import argparse
import logging

from alpr.config_loader import load_yaml_model
from alpr.foreign import ForeignOptions, generate_foreign


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m alpr.foreign",
        description="Render labelme-annotated plate photos the model never trains on (the foreign test set).")
    parser.add_argument("out", help="output folder: local path or fsspec URL (gs://...)")
    parser.add_argument("--n", type=int, default=200, help="number of photos (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--options", help="YAML file with renderer options (ForeignOptions)")
    parser.add_argument("--overwrite", action="store_true", help="write into a folder that already holds files")
    args = parser.parse_args(argv)
    if args.n < 0:
        parser.error("--n must be >= 0")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    options = load_yaml_model(args.options, ForeignOptions) if args.options else ForeignOptions()
    try:
        summary = generate_foreign(args.out, n=args.n, seed=args.seed, options=options, overwrite=args.overwrite)
    except FileExistsError as exc:
        parser.error(str(exc))
    print(f"wrote {summary.images} photos with {summary.plates} plates ({summary.shapes} polygons) to {summary.out_dir}")


if __name__ == "__main__":
    main()
