"""Deterministic generator of labelme-annotated licence-plate images."""

from alpr.synth.generate import GenerationSummary, generate_dataset
from alpr.synth.options import SynthOptions

__all__ = ["SynthOptions", "GenerationSummary", "generate_dataset"]
