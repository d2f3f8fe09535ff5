# sluice in a container: the static release binary on distroless/static
# (CA certificates, tzdata, no shell), running as the image's non-root user.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t sluice .
#   docker run -v $PWD/sluice.yaml:/etc/sluice/sluice.yaml:ro -v sluice-data:/var/lib/sluice \
#     -p 18000:18000 -p 19000:19000 sluice
#
# sluice.yaml in the container should set dataDir: /var/lib/sluice and
# admin.address: ":19000" to publish the admin port; the HEALTHCHECK asks
# /healthz on the admin port, 19000.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG TARGETOS=linux
ARG TARGETARCH=amd64
RUN make dist PLATFORMS=$TARGETOS/$TARGETARCH VERSION=$VERSION DIST=/out \
	&& mv /out/sluice-$VERSION-$TARGETOS-$TARGETARCH /out/sluice \
	&& mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build --chown=65532:65532 /out/data /var/lib/sluice
COPY --from=build /out/sluice /usr/local/bin/sluice
USER 65532:65532
VOLUME /var/lib/sluice
EXPOSE 18000 19000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
	CMD ["/usr/local/bin/sluice", "healthcheck", "http://127.0.0.1:19000/healthz"]
ENTRYPOINT ["/usr/local/bin/sluice"]
CMD ["serve", "--config", "/etc/sluice/sluice.yaml"]
