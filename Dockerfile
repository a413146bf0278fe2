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
    REFARK_FEEDBACK_DB=/app/feedback/feedback.sqlite3 \
    REFARK_EXPERIENCES_DIR=/app/feedback/experiences

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
RUN refark ingest && mkdir -p /app/feedback \
    && chown -R refark:refark /app/var /app/feedback /app/corpus
# What the service writes outlives the container: the votes on answers and the experience
# reports waiting for review (/app/feedback), approved reports filed into the corpus, and the
# index generations they are ingested into. A named volume starts as a copy of the image's
# folder, so the bundled corpus and its index are there on the first start.
VOLUME ["/app/feedback", "/app/corpus", "/app/var/index"]

USER refark
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["refark", "serve"]
