# syntax=docker/dockerfile:1
# Build stage: the official Go image by default; CI substitutes a local one
# made from the machine's toolchain (see .ci/container).
ARG GO_IMAGE=golang:1.26-bookworm
FROM ${GO_IMAGE} AS build
ARG VERSION=dev
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-mod=mod
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The binary embeds time/tzdata, so the runtime image needs no zoneinfo.
RUN go build -trimpath -tags timetzdata -ldflags "-s -w -X main.Version=${VERSION}" -o /out/digest ./cmd/digest \
 && mkdir -p /out/data && chmod 0700 /out/data

# Runtime stage: nothing but the binary, CA certificates and a data volume.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/digest /usr/local/bin/digest
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
ENV DIGEST_DB=/data/digest.db DIGEST_OUTBOX=/data/outbox DIGEST_HTTP_ADDR=:8080
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["digest", "healthcheck"]
ENTRYPOINT ["digest"]
CMD ["serve"]
