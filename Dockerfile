# Production-like image: gunicorn behind a TLS reverse proxy (see docker-compose.yml).
# Settings come from the environment; SECRET_KEY and DATABASE_URL must be given at run time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STATIC_ROOT=/srv/static

WORKDIR /app

# The Japanese font the PDF documents embed (IPAex Gothic), and the PC/SC client library with
# what pyscard needs to build (it ships no Linux wheel).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-ipaexfont-gothic libpcsclite1 \
       gcc swig libpcsclite-dev \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, from the hash-pinned runtime lock alone (scripts/lock.sh writes it from
# pyproject.toml), so code changes do not reinstall them; every file must match its hash.
COPY requirements/runtime.txt ./requirements/
RUN pip install --require-hashes -r requirements/runtime.txt

COPY . .

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin kokuho \
    && mkdir -p /srv/static \
    && chown kokuho /srv/static
USER kokuho

EXPOSE 8000

# At start: static files into the shared volume (the proxy serves them), migrations, then gunicorn.
CMD ["sh", "-c", "python manage.py collectstatic --noinput -v 0 && python manage.py migrate --noinput && exec gunicorn sumida_kokuho.wsgi -b 0.0.0.0:8000 --workers 3 --threads 2 --access-logfile -"]
