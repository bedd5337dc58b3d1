"""Deterministic generator of labelme-annotated licence-plate images."""

from alpr.synth.options import SynthOptions
from alpr.synth.generate import GenerationSummary, generate_dataset

__all__ = ["SynthOptions", "GenerationSummary", "generate_dataset"]
