# The production images: the agent (target `agent`, the default: the last
# stage) and the auth-callout service (target `callout`). Each is a
# `deno compile` in a Deno build stage, then the single binary on distroless
# (glibc and CA certificates, no shell, no package manager), as the non-root
# user.
#
#   docker build -t harmony-fleet-agent .      (or: podman build …)
#   docker run --rm \
#     -v ./agent.toml:/etc/harmony-fleet/agent.toml:ro \
#     harmony-fleet-agent
#
#   docker build --target callout -t harmony-fleet-callout .
#   docker run --rm \
#     -v ./callout-etc:/etc/harmony-fleet:ro \
#     harmony-fleet-callout
#     (callout-etc/ holds callout.toml and the seed files it names)
#
# Contract (the same as the local e2e image of e2e/images.ts; e2e/dockerfile_test.ts
# checks it): the config is read from /etc/harmony-fleet/agent.toml (the
# default command; override it with `--config <file>`), and every file it
# names (creds_file, tls_*) must be under /etc/harmony-fleet/; with
# runtime_enabled = true the podman API socket is expected at
# /run/podman/podman.sock. Logs are JSON lines on stderr. SIGTERM ends open
# streams, finishes requests in flight, drains NATS and exits 0; a missing or
# invalid config exits 2 naming the file. No HEALTHCHECK: Kubernetes probes
# (or the agent's heartbeat on NATS) say whether it is alive.
#
# Permissions, baked into the binary (not -A):
#   --allow-read=/etc/harmony-fleet,/run/podman/podman.sock
#       the config and the files it names; the podman socket (the runtime
#       probe inspects it)
#   --allow-write=/run/podman/podman.sock
#       connecting to a unix socket needs read and write access to its path
#   --allow-net
#       the NATS servers (any host and port: they come from the config at run
#       time; DNS lookups of their names) and the podman API client's unix
#       transport
#   --allow-env=CONTAINER_HOST,XDG_RUNTIME_DIR
#       the runtime probe reads them when the config names no socket
#   --allow-run
#       host exec ([exec] allow_host = true) runs any argv, and Deno.kill (ending
#       an exec session at its deadline, on cancel or at its limit) needs the
#       unrestricted flag
#   no --allow-sys, --allow-ffi or --allow-import: the agent uses none.
#
# The callout (target `callout`): the config is read from
# /etc/harmony-fleet/callout.toml (the default command) and every file it
# names (issuer_seed_file, xkey_seed_file, creds_file, tls_*) must be under
# /etc/harmony-fleet/. Logs are JSON lines on stderr, never a token; SIGTERM
# answers the requests in flight, drains and exits 0; a bad config exits 2
# naming the key; NATS refusing its own credentials exits 3. Permissions:
#   --allow-read=/etc/harmony-fleet
#       the config and the files it names
#   --allow-net
#       the NATS servers and the OIDC issuer (discovery, JWKS), named by the
#       config at run time
#   no --allow-write, --allow-env, --allow-run, --allow-sys, --allow-ffi or
#   --allow-import (`callout/main.ts init` writes files: run it elsewhere).
#
# This file cannot be built on the project's build machines (`deno compile`
# downloads its runtime and no image can be pulled there); the e2e suite
# builds images with the same contracts from local files instead
# (e2e/images.ts).

# The Deno version CI uses (.ci/run).
ARG DENO_VERSION=2.9.6

FROM denoland/deno:debian-${DENO_VERSION} AS build
WORKDIR /src
COPY deno.json deno.lock ./
COPY agent/ agent/
COPY contracts/ contracts/
COPY nats/ nats/
COPY podman/ podman/
RUN deno compile \
      --frozen \
      --allow-read=/etc/harmony-fleet,/run/podman/podman.sock \
      --allow-write=/run/podman/podman.sock \
      --allow-net \
      --allow-env=CONTAINER_HOST,XDG_RUNTIME_DIR \
      --allow-run \
      --output /out/harmony-fleet-agent \
      agent/main.ts

FROM denoland/deno:debian-${DENO_VERSION} AS build-callout
WORKDIR /src
COPY deno.json deno.lock ./
COPY callout/ callout/
COPY contracts/ contracts/
COPY nats/ nats/
RUN deno compile \
      --frozen \
      --allow-read=/etc/harmony-fleet \
      --allow-net \
      --output /out/harmony-fleet-callout \
      callout/main.ts

FROM gcr.io/distroless/cc-debian12:nonroot AS callout
COPY --from=build-callout /out/harmony-fleet-callout /usr/local/bin/harmony-fleet-callout
# distroless's nonroot user.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/harmony-fleet-callout"]
CMD ["--config", "/etc/harmony-fleet/callout.toml"]

# The agent, last: the default target.
FROM gcr.io/distroless/cc-debian12:nonroot AS agent
COPY --from=build /out/harmony-fleet-agent /usr/local/bin/harmony-fleet-agent
# distroless's nonroot user.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/harmony-fleet-agent"]
CMD ["--config", "/etc/harmony-fleet/agent.toml"]
