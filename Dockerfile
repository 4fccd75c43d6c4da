# The bot: slim Python, no dev dependencies, non-root, with a health check.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so code changes don't reinstall them.
COPY pyproject.toml README.md ./
COPY bot/__init__.py bot/__init__.py
COPY scheduler/__init__.py scheduler/__init__.py
RUN pip install --upgrade pip && pip install .

COPY bot/ bot/
COPY scheduler/ scheduler/
COPY content/ content/
RUN pip install --no-deps . \
    && useradd --create-home --uid 10001 bot \
    && chown -R bot /app

USER bot
ENV CONTENT_DIR=/app/content
EXPOSE 8080

# Healthy when settings load, content validates and Redis answers.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD ["python", "-m", "bot", "health"]

CMD ["python", "-m", "bot", "run"]
