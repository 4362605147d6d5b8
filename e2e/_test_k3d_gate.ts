/**
 * The gate of the tests that need a real k3d cluster: they run only with
 * `HARMONY_FLEET_E2E=1` and `k3d` and `kubectl` on PATH; otherwise they
 * are ignored with a one-line reason. Test-only.
 */

/** The environment variable that opens the gate. */
export const HARMONY_FLEET_E2E_ENV = "HARMONY_FLEET_E2E";

/** Whether the gate is open, and why not. */
export interface K3dGate {
  open: boolean;
  /** Why it is closed; `undefined` when open. */
  reason?: string;
}

/**
 * Checks the gate in `env` (`HARMONY_FLEET_E2E`, `PATH`).
 *
 * @example
 * ```ts ignore
 * k3dGate({ PATH: "/usr/bin" }).reason; // "HARMONY_FLEET_E2E=1 is not set"
 * ```
 */
export function k3dGate(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): K3dGate {
  if (env[HARMONY_FLEET_E2E_ENV] !== "1") {
    return { open: false, reason: `${HARMONY_FLEET_E2E_ENV}=1 is not set` };
  }
  const missing = ["k3d", "kubectl"].filter((bin) =>
    !onPath(bin, env.PATH ?? "")
  );
  if (missing.length > 0) {
    return {
      open: false,
      reason: `${missing.join(" and ")} not found on PATH`,
    };
  }
  return { open: true };
}

let printed = false;
/**
 * `ignore` for a test that needs k3d: `true` when the gate is closed, its
 * reason printed once per process as
 * `[e2e] ignoring the k3d tests: <reason>`.
 */
export function ignoreWithoutK3d(): boolean {
  const gate = k3dGate();
  if (!gate.open && !printed) {
    printed = true;
    console.error(`[e2e] ignoring the k3d tests: ${gate.reason}`);
  }
  return !gate.open;
}

function onPath(binary: string, path: string): boolean {
  return path.split(":").some((dir) => {
    try {
      return dir !== "" && Deno.statSync(`${dir}/${binary}`).isFile;
    } catch {
      return false;
    }
  });
}
