# Podswitch node image: podswitchd, podswitch-agent, podswitch-cni and podswitchctl.
# Stage 1 builds with the same scripts as a developer machine; stage 2 carries only the
# binaries and the runtime libraries they link.
FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN scripts/setup.sh && PODSWITCH_BUILD_DIR=/src/build scripts/build.sh \
      -DCMAKE_BUILD_TYPE=Release -DPODSWITCH_BUILD_BENCH=OFF -DPODSWITCH_BUILD_FUZZ=OFF

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      dpdk libgrpc++1.51 libprotobuf32 libnl-3-200 libnl-route-3-200 libcurl4 libyaml-cpp0.7 \
      libsqlite3-0 libspdlog1.10 libxdp1 libbpf1 iproute2 ethtool ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/bin/ /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/podswitchd"]
