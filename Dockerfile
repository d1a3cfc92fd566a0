# syntax=docker/dockerfile:1
# GraphiQL's browser assets from the npm registry (pinned in deploy/graphiql/package-lock.json);
# only the copied files reach the image, not node or node_modules.
FROM node:20-slim AS graphiql
WORKDIR /src/deploy/graphiql
COPY deploy/graphiql/package.json deploy/graphiql/package-lock.json deploy/graphiql/install.sh ./
RUN sh install.sh /graphiql

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY api api
COPY --from=graphiql /graphiql api/static/graphiql
COPY schema schema
COPY resolvers resolvers
COPY domain domain
COPY db db
COPY subscriptions subscriptions
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PSX_HOST=0.0.0.0 PSX_DATA_DIR=/data
RUN useradd --create-home --uid 10001 psx && mkdir /data && chown psx /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER 10001
EXPOSE 8000
# Graceful stop: SIGTERM fails /readyz for PSX_DRAIN_SECONDS, then uvicorn closes WebSockets
# (1012) and waits up to 10 s for requests in flight (api/server.py).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["psx-analytics", "serve"]
