"""The reference ALPR engine as a child process: SimpleLPR (a native engine from PyPI) reading
JPEG files, one per request line, so a benchmark can time it image by image beside our model.

Runs in its own environment (``scripts/reference-engine.sh`` builds ``.venv-reference``: the
engine is a 135 MB proprietary wheel the project itself never needs), and imports nothing of
the project. Protocol: the parent writes a JPEG path per line; the child answers one JSON line
``{"ms": milliseconds of analyze (decode included), "plates": [texts read]}``; an empty line ends it.
Its country syntax is Vietnam's ("NN L NNNN"), the nearest to our long plates.
"""

from __future__ import annotations

import json
import sys
import time

COUNTRY = "Vietnam"


def engine():
    """A CPU-only processor with Vietnam's plate syntax, and the engine's version."""
    import simplelpr

    setup = simplelpr.EngineSetupParms()
    setup.cudaDeviceId = -1
    setup.enableImageProcessingWithGPU = False
    setup.enableClassificationWithGPU = False
    lpr = simplelpr.SimpleLPR(setup)
    for i in range(lpr.numSupportedCountries):
        lpr.set_countryWeight(i, 1.0 if lpr.get_countryCode(i) == COUNTRY else 0.0)
    lpr.realizeCountryWeights()
    v = lpr.versionNumber
    return lpr.createProcessor(), f"SimpleLPR {v.A}.{v.B}.{v.C}.{v.D}"


def main() -> None:
    processor, version = engine()
    print(json.dumps({"engine": version, "country": COUNTRY}), flush=True)
    for line in sys.stdin:
        path = line.strip()
        if not path:
            break
        started = time.perf_counter()
        candidates = processor.analyze(path)
        ms = (time.perf_counter() - started) * 1000
        plates = [c.matches[0].text for c in candidates if len(c.matches) > 0]
        print(json.dumps({"ms": ms, "plates": plates}), flush=True)


if __name__ == "__main__":
    main()
