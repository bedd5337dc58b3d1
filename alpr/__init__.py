"""ALPR domain library: synthetic data, datasets, model, metrics and post-processing.

It never imports ZenML, so it can be used from notebooks, Seldon and tests alike.
"""

__version__ = "0.1.0"
