// Device labels: `[agent] labels` in the agent config, `labels` in the
// heartbeat, what fleet targeting selects on. The syntax is Kubernetes'
// label syntax, so a label that works there works here.

/** A device's labels: label key → value. */
export type DeviceLabels = Readonly<Record<string, string>>;

/** Most labels one device may carry. */
export const MAX_DEVICE_LABELS = 64;
/** Longest label name (the part after an optional `prefix/`), and value. */
export const MAX_LABEL_NAME_LENGTH = 63;
/** Longest label key prefix (a DNS subdomain before `/`). */
export const MAX_LABEL_PREFIX_LENGTH = 253;

const NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/**
 * Why `key` is not a valid label key, or `undefined` when it is. A key is a
 * name of 1–63 characters from `[A-Za-z0-9._-]`, beginning and ending with
 * a letter or digit (`site`, `hw.rev`), optionally after a DNS-subdomain
 * prefix and a slash (`harmony.fleet/site`) — as Kubernetes label keys.
 *
 * @example
 * ```ts
 * import { labelKeyProblem } from "@harmony/fleet/contracts";
 * labelKeyProblem("site"); // undefined
 * labelKeyProblem("si te"); // "…"
 * ```
 */
export function labelKeyProblem(key: string): string | undefined {
  if (typeof key !== "string") return "it must be a string";
  const slash = key.indexOf("/");
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (slash !== -1) {
    const prefix = key.slice(0, slash);
    if (
      prefix.length === 0 || prefix.length > MAX_LABEL_PREFIX_LENGTH ||
      !prefix.split(".").every((part) => DNS_LABEL.test(part))
    ) {
      return `its prefix ${
        JSON.stringify(prefix)
      } must be a DNS subdomain (lower-case a-z 0-9 - in dot-separated parts, at most ${MAX_LABEL_PREFIX_LENGTH} characters)`;
    }
  }
  if (name.length === 0) return "its name must not be empty";
  if (name.length > MAX_LABEL_NAME_LENGTH) {
    return `its name must be at most ${MAX_LABEL_NAME_LENGTH} characters, got ${name.length}`;
  }
  if (!NAME.test(name)) {
    return "its name must be A-Z a-z 0-9 . _ - and begin and end with a letter or digit";
  }
  return undefined;
}

/**
 * Why `value` is not a valid label value, or `undefined` when it is: empty,
 * or up to 63 characters from `[A-Za-z0-9._-]` beginning and ending with a
 * letter or digit (as Kubernetes label values).
 *
 * @example
 * ```ts
 * import { labelValueProblem } from "@harmony/fleet/contracts";
 * labelValueProblem("berlin"); // undefined
 * labelValueProblem("a,b"); // "…"
 * ```
 */
export function labelValueProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return "it must be a string";
  if (value.length === 0) return undefined;
  if (value.length > MAX_LABEL_NAME_LENGTH) {
    return `it must be at most ${MAX_LABEL_NAME_LENGTH} characters, got ${value.length}`;
  }
  if (!NAME.test(value)) {
    return "it must be empty or A-Z a-z 0-9 . _ - beginning and ending with a letter or digit";
  }
  return undefined;
}

/**
 * Why `labels` is not a valid set of device labels, or `undefined`: a
 * plain object of at most {@linkcode MAX_DEVICE_LABELS} valid keys
 * ({@linkcode labelKeyProblem}) with valid string values
 * ({@linkcode labelValueProblem}). The problem names the key at fault.
 *
 * @example
 * ```ts
 * import { deviceLabelsProblem } from "@harmony/fleet/contracts";
 * deviceLabelsProblem({ site: "berlin", role: "edge" }); // undefined
 * deviceLabelsProblem({ site: "a b" }); // 'label "site": …'
 * ```
 */
export function deviceLabelsProblem(labels: unknown): string | undefined {
  if (
    typeof labels !== "object" || labels === null || Array.isArray(labels)
  ) {
    return "labels must be an object of label key to string value";
  }
  const entries = Object.entries(labels);
  if (entries.length > MAX_DEVICE_LABELS) {
    return `at most ${MAX_DEVICE_LABELS} labels are allowed, got ${entries.length}`;
  }
  for (const [key, value] of entries) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== undefined) {
      return `label key ${JSON.stringify(key)} is not valid: ${keyProblem}`;
    }
    const valueProblem = labelValueProblem(value);
    if (valueProblem !== undefined) {
      return `label ${JSON.stringify(key)} has an invalid value${
        typeof value === "string" ? ` ${JSON.stringify(value)}` : ""
      }: ${valueProblem}`;
    }
  }
  return undefined;
}
