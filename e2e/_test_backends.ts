/**
 * The backends, transports and auth modes the e2e ping suite runs on: with
 * `FLEET_E2E_BACKEND` set, that backend only; else `local` (plain, mutual
 * TLS, and plain with the auth callout) and `podman` (plain and with the auth callout; ignored with a one-line reason without
 * podman, never in CI: `FLEET_REQUIRE_PODMAN=1`), and `k3d` when its gate
 * is open (`HARMONY_FLEET_E2E=1`, `k3d` and `kubectl` on PATH; else one
 * line says why). Test-only.
 */
import { ignoreWithoutPodman } from "../testing/mod.ts";
import type { StackBackend } from "./_stack_parts.ts";
import type { StackAuth } from "./_stack_callout.ts";
import { FLEET_E2E_BACKEND_ENV } from "./_stack_options.ts";
import { ignoreWithoutK3d } from "./_test_k3d_gate.ts";

/** One way to run a test. */
export interface E2eVariant {
  backend: StackBackend;
  tls: boolean;
  /** How devices and the operator log in. */
  auth: StackAuth;
  /** For the test's name: `""`, `" (mutual TLS)"`, `" (auth callout)"`, `" (podman backend)"`, … */
  label: string;
  /** The test's `ignore`. */
  ignore: boolean;
}

/** The variants to run; see the module doc. */
export function e2eVariants(): E2eVariant[] {
  const chosen = Deno.env.get(FLEET_E2E_BACKEND_ENV) as
    | StackBackend
    | undefined;
  const all: E2eVariant[] = [
    {
      backend: "local",
      tls: false,
      auth: "userpass",
      label: "",
      ignore: false,
    },
    {
      backend: "local",
      tls: true,
      auth: "userpass",
      label: " (mutual TLS)",
      ignore: false,
    },
    {
      backend: "local",
      tls: false,
      auth: "callout",
      label: " (auth callout)",
      ignore: false,
    },
    {
      backend: "podman",
      tls: false,
      auth: "userpass",
      label: " (podman backend)",
      ignore: chosen === "podman" ? false : ignoreOnce(),
    },
    {
      backend: "podman",
      tls: false,
      auth: "callout",
      label: " (podman backend, auth callout)",
      ignore: chosen === "podman" ? false : ignoreOnce(),
    },
    {
      backend: "k3d",
      tls: false,
      auth: "userpass",
      label: " (k3d backend)",
      ignore: ignoreWithoutK3d(),
    },
  ];
  return chosen === undefined
    // k3d only when its gate is open: a cluster is not there by default.
    ? all.filter((variant) => variant.backend !== "k3d" || !variant.ignore)
    : all.filter((variant) => variant.backend === chosen);
}

let podmanIgnored: boolean | undefined;
/** `ignoreWithoutPodman()`, its reason printed once per process. */
function ignoreOnce(): boolean {
  return podmanIgnored ??= ignoreWithoutPodman();
}
