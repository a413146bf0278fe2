# Refark: same install steps as scripts/setup.sh, model converted and corpus ingested at build time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    REFARK_HOST=0.0.0.0 \
    REFARK_PORT=8000 \
    REFARK_CORPUS_DIR=/app/corpus \
    REFARK_INDEX_DIR=/app/var/index \
    REFARK_MODEL_CACHE=/app/var/models \
    REFARK_FEEDBACK_DB=/app/feedback/feedback.sqlite3

RUN useradd --create-home --uid 10001 refark
WORKDIR /app

# The CPU wheel (PyPI's default torch for Linux is the multi-GB CUDA build).
RUN pip install "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY ingest ingest
COPY index index
COPY service service
COPY bots bots
RUN pip install .

COPY corpus corpus
RUN refark ingest && mkdir -p /app/feedback && chown -R refark:refark /app/var /app/feedback
# The votes on answers outlive the container (and every re-ingest): keep them on a volume.
VOLUME ["/app/feedback"]

USER refark
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["refark", "serve"]
