# optviz as a lecture hall in one container: N server processes behind nginx (deploy/hall.py).
#   docker build -t optviz .  &&  docker run --init -p 8501:8501 -e OPTVIZ_PROCESSES=4 optviz
# or `docker compose up` (compose.yaml keeps the JAX compilation cache in a volume).
FROM python:3.11-slim

# nginx: the proxy in front of the processes; chromium: PNG/SVG/PDF exports (kaleido).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx chromium fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .

# Not root: nginx runs from a run folder under /tmp (deploy/hall.py), the cache is a volume.
RUN useradd --create-home --uid 1000 optviz && mkdir -p /cache/jax && chown optviz /cache/jax
USER optviz
ENV OPTVIZ_PROCESSES=2 \
    OPTVIZ_PORT=8501 \
    OPTVIZ_JAX_CACHE=/cache/jax \
    JAX_PLATFORMS=cpu \
    PYTHONUNBUFFERED=1
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"
CMD ["python", "deploy/hall.py"]
