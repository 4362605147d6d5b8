/**
 * Version of this package, reported by agents as `agent_version` and by
 * the CLI's `--version`. Kept equal to `deno.json`'s version by a test.
 *
 * @example
 * ```ts
 * import { PACKAGE_VERSION } from "@harmony/fleet/contracts";
 * console.log(PACKAGE_VERSION);
 * ```
 */
export const PACKAGE_VERSION = "0.1.0";

/** Version of the wire protocol described in this folder. */
export const PROTOCOL_VERSION = 2;
