# One image with the five Parley services and the browser app. The container's command picks
# the service: parley-frontend, parley-gateway, parley-auth, parley-user or parley-chat
# (manifests/base/*.yaml set it). Build: scripts/k8s/build-image.sh (docker build -t parley:dev .)

# Build stage: the same packages as a developer machine (scripts/setup.sh).
FROM debian:bookworm AS build
COPY scripts/setup.sh /src/scripts/setup.sh
RUN /src/scripts/setup.sh && rm -rf /var/lib/apt/lists/*
COPY . /src
WORKDIR /src
RUN cmake --preset default -DPARLEY_CHECK_HEADERS=OFF \
 && cmake --build --preset default \
      --target parley-frontend parley-gateway parley-auth parley-user parley-chat \
 && mkdir -p /out \
 && for service in frontend gateway auth user chat; do \
      strip -o /out/parley-$service build/default/apps/$service/parley-$service; \
    done

# Runtime stage: the shared libraries the binaries link, nothing to build with.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libboost-json1.81.0 libboost-url1.81.0 libboost-context1.81.0 libssl3 libsqlite3-0 \
      libargon2-1 libpq5 libhiredis0.14 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /usr/local/bin/
COPY assets/ /usr/share/parley/assets/
ENV PARLEY_ASSETS_DIR=/usr/share/parley/assets \
    PARLEY_DATA_DIR=/tmp/parley
# A numeric user (no passwd entry needed): Kubernetes' runAsNonRoot can check it.
USER 10001:10001
EXPOSE 8080 5000 5001 5002 5003 9090
