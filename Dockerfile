# syntax=docker/dockerfile:1
# modelreg-server image. Configured through the environment only (see docs/deployment.md);
# docker-compose.yml shows the production shape: PostgreSQL + S3 + this image.

FROM rust:1.95-slim-bookworm AS builder
WORKDIR /src
COPY . .
# The cache mounts keep the registry and target/ between builds; the binary is copied out
# of the cached target/ because that directory is not part of the image layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release -p modelreg-server --locked \
    && install -m 0755 target/release/modelreg-server /usr/local/bin/modelreg-server

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/modelreg --create-home modelreg
COPY --from=builder /usr/local/bin/modelreg-server /usr/local/bin/modelreg-server

# Listen on all interfaces inside the container (the binary's default is loopback only).
# Without MODELREG_DATABASE_URL / MODELREG_BLOBS_URL the server keeps SQLite and blobs
# under MODELREG_DATA_DIR: mount a volume there, or point it at PostgreSQL and S3.
ENV MODELREG_BIND=0.0.0.0:8080 \
    MODELREG_DATA_DIR=/var/lib/modelreg
USER modelreg
WORKDIR /var/lib/modelreg
EXPOSE 8080
ENTRYPOINT ["modelreg-server"]
CMD ["serve"]
