"""The foreign test set: plates rendered independently of the training generator."""

from alpr.foreign.render import ForeignOptions, draw_foreign

__all__ = ["ForeignOptions", "draw_foreign", "generate_foreign"]


def generate_foreign(out_dir: str, n: int, seed: int, options: ForeignOptions | None = None, progress: bool = True,
                     overwrite: bool = False):
    """Render ``n`` foreign photos with their labelme files into ``out_dir`` (any fsspec URL)."""
    from alpr.synth.generate import generate_dataset

    return generate_dataset(out_dir, n=n, seed=seed, options=options or ForeignOptions(), progress=progress,
                            overwrite=overwrite, draw=draw_foreign)
