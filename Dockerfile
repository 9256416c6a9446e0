# syntax=docker/dockerfile:1
#
# digest container image: a static binary on an empty base.
#
#   docker build --build-arg VERSION=$(git describe --always --dirty) -t digest .
#
# Build stage: the official Go image by default. CI builds without a registry
# and substitutes a local image made from the machine's toolchain
# (--build-arg GO_IMAGE=localhost/..., see .ci/container); any image with go
# on PATH, a shell and /etc/ssl/certs/ca-certificates.crt will do.
ARG GO_IMAGE=golang:1.26-bookworm
FROM ${GO_IMAGE} AS build
ARG VERSION=dev
WORKDIR /src
# Static binary, no libc: the runtime stage has none. -mod=mod because the
# project's go.mod can trail its imports between releases (as .ci/run does).
ENV CGO_ENABLED=0 GOFLAGS=-mod=mod
COPY go.mod go.sum ./
# go.mod replaces go-dateparser, gomoji, go-domdistiller and whatlanggo with the copies there (PATCHED.md in each).
COPY third_party ./third_party
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# time/tzdata is embedded by cmd/digest/tzdata.go, so the runtime stage
# needs no zoneinfo. -s -w drop the symbol tables (the image size matters
# more than symbolised panics, which still carry file:line).
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags "-s -w -X main.Version=${VERSION}" -o /out/usr/local/bin/digest ./cmd/digest \
 && mkdir -p /out/data /out/tmp /out/etc/ssl/certs \
 && chmod 0700 /out/data && chmod 1777 /out/tmp \
 && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ \
 && echo 'digest:x:65532:65532:digest:/data:/sbin/nologin' > /out/etc/passwd \
 && echo 'digest:x:65532:' > /out/etc/group

# Runtime stage: the binary, CA certificates (SMTP relays, feeds and the LLM
# API use TLS), a passwd entry for the non-root user, /tmp and /data.
FROM scratch
ARG VERSION=dev
LABEL org.opencontainers.image.title="digest" \
      org.opencontainers.image.description="Daily trade-news digest: gather, cluster, summarise, email" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/tradedigest/tradedigest"
COPY --from=build /out/etc/ /etc/
COPY --from=build /out/usr/local/bin/digest /usr/local/bin/digest
COPY --from=build /out/tmp /tmp
COPY --from=build --chown=65532:65532 /out/data /data
# Numeric, so Kubernetes runAsNonRoot can verify it without reading /etc/passwd.
USER 65532:65532
WORKDIR /data
# Defaults for a single container: SQLite and the .eml outbox in the volume.
# Every setting is an environment variable (see deploy/README.md); point
# DIGEST_DB at postgres:// to run more than one replica.
ENV DIGEST_DB=/data/digest.db \
    DIGEST_OUTBOX=/data/outbox \
    DIGEST_HTTP_ADDR=:8080 \
    DIGEST_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
# No shell or curl in the image: the binary checks its own /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["digest", "healthcheck"]
ENTRYPOINT ["digest"]
CMD ["serve"]
