# The image every Kubeflow pod runs: the pipeline environment (requirements.txt, exactly as
# .venv locally) and none of the project's code: with the kubeflow stack's `skip_build`, ZenML
# uploads the code to the artifact store at each run and each pod downloads it before its step.
# Build from the project root and push to where ALPR_PIPELINE_IMAGE points:
#   docker build -f docker/pipeline.Dockerfile -t "$ALPR_PIPELINE_IMAGE" . && docker push "$ALPR_PIPELINE_IMAGE"
# mmcv 2.1.0 is built from source (PyPI has no wheel). Its GPU operators need the CUDA compiler:
# for GPU nodes pass a CUDA development image with Python 3.11 as BASE and FORCE_CUDA=1, e.g.
#   --build-arg BASE=<your CUDA 12 + Python 3.11 devel image> --build-arg FORCE_CUDA=1
ARG BASE=python:3.11-slim

FROM ${BASE} AS mmcv
ARG FORCE_CUDA=0
RUN apt-get update && apt-get install -y --no-install-recommends g++ && rm -rf /var/lib/apt/lists/*
COPY scripts/cxx-cpp20 /usr/local/bin/cxx-cpp20
RUN pip install --no-cache-dir torch==2.14.1 numpy==1.26.4 wheel ninja \
 && pip install --no-cache-dir "setuptools<70" \
 && FORCE_CUDA=${FORCE_CUDA} MMCV_WITH_OPS=1 CXX=/usr/local/bin/cxx-cpp20 \
    pip wheel --no-deps --no-build-isolation mmcv==2.1.0 -w /wheels

FROM ${BASE}
# the generator's and the foreign renderer's TrueType fonts (scripts/debian-fonts.txt)
COPY scripts/debian-fonts.txt /tmp/debian-fonts.txt
RUN apt-get update && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 $(cat /tmp/debian-fonts.txt) \
 && rm -rf /var/lib/apt/lists/* /tmp/debian-fonts.txt
COPY --from=mmcv /wheels /wheels
COPY requirements.txt /app/requirements.txt
RUN pip install --no-cache-dir --find-links /wheels -r /app/requirements.txt && rm -rf /wheels
WORKDIR /app
ENV PYTHONUNBUFFERED=1 \
    ZENML_ANALYTICS_OPT_IN=false
