import {
  deviceIdProblem,
  type DeviceLabels,
  labelKeyProblem,
  labelValueProblem,
} from "../contracts/mod.ts";

/** What targeting needs to know of a device: its id and labels (a `DeviceRecord` is one). */
export interface TargetableDevice {
  /** The device id. */
  readonly id: string;
  /** Its labels. */
  readonly labels: DeviceLabels;
}

/** One requirement of a label selector. */
export type LabelRequirement =
  | { key: string; op: "=" | "!="; value: string }
  | { key: string; op: "exists" | "!exists" };

/** Which devices to send a command to, as the CLI takes it. */
export interface TargetSpec {
  /**
   * Device ids and globs over the known devices' ids (a target with `*`,
   * `?` or `[` is a glob; device ids cannot hold those characters).
   */
  targets: readonly string[];
  /** Every known device. Not together with `targets`. */
  all?: boolean;
  /**
   * Label selectors (`site=berlin,role!=edge`); all must hold. Alone they
   * select among the known devices; with `targets` or `all` they narrow
   * those.
   */
  selectors?: readonly string[];
}

/**
 * A target that cannot be understood: an invalid device id, a malformed
 * glob or label selector, `--all` with ids, or nothing at all. `target` is
 * the text at fault.
 *
 * @example
 * ```ts
 * import { InvalidTargetError } from "./targeting.ts";
 * new InvalidTargetError("a.b", "bad").name; // "InvalidTargetError"
 * ```
 */
export class InvalidTargetError extends TypeError {
  /** The target, glob or selector at fault ("" when none was given). */
  readonly target: string;

  /** Builds the error; `message` is used as given. */
  constructor(target: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidTargetError";
    this.target = target;
  }
}

/**
 * A glob, `--all` or label selector matched no known device: sending the
 * command to nobody would look like success, so it is an error instead.
 *
 * @example
 * ```ts
 * import { NoMatchingDevicesError } from "./targeting.ts";
 * new NoMatchingDevicesError("edge-*", "glob").message;
 * // 'No known device matches "edge-*"'
 * ```
 */
export class NoMatchingDevicesError extends Error {
  /** The glob or selector that matched nothing (`--all` for all). */
  readonly pattern: string;
  /** What kind of target it was. */
  readonly kind: "glob" | "all" | "selector";

  /** Builds the error from the pattern. */
  constructor(
    pattern: string,
    kind: "glob" | "all" | "selector",
    options?: ErrorOptions,
  ) {
    super(
      kind === "all"
        ? "No known devices: the device registry is empty (--all)"
        : kind === "selector"
        ? `No targeted device matches the label selector ${
          JSON.stringify(pattern)
        }`
        : `No known device matches ${JSON.stringify(pattern)}`,
      options,
    );
    this.name = "NoMatchingDevicesError";
    this.pattern = pattern;
    this.kind = kind;
  }
}

/**
 * Whether `target` is a glob (holds `*`, `?` or `[`) rather than a device id.
 *
 * @example
 * ```ts
 * import { isGlob } from "./targeting.ts";
 * isGlob("edge-*"); // true
 * isGlob("edge-01"); // false
 * ```
 */
export function isGlob(target: string): boolean {
  return /[*?[]/.test(target);
}

/**
 * A shell glob as a whole-string `RegExp`: `*` any characters, `?` one,
 * `[abc]`, `[a-z]` and `[!abc]` (or `[^abc]`) one of a set; anything else
 * stands for itself.
 *
 * @throws {InvalidTargetError} for an unclosed `[`.
 * @example
 * ```ts
 * import { globToRegExp } from "./targeting.ts";
 * globToRegExp("edge-[0-9]*").test("edge-7b"); // true
 * ```
 */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") source += ".*";
    else if (c === "?") source += ".";
    else if (c === "[") {
      const close = glob.indexOf("]", i + 2);
      if (close === -1) {
        throw new InvalidTargetError(
          glob,
          `Invalid glob ${JSON.stringify(glob)}: "[" without its "]"`,
        );
      }
      let set = glob.slice(i + 1, close);
      let negate = false;
      if (set[0] === "!" || set[0] === "^") {
        negate = true;
        set = set.slice(1);
      }
      source += `[${negate ? "^" : ""}${set.replace(/[\\\]^]/g, "\\$&")}]`;
      i = close;
    } else source += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/**
 * Parses a label selector as `kubectl -l` takes it: requirements separated
 * by commas, all of which must hold — `key=value` (or `key==value`),
 * `key!=value` (also true for a device without the label, as in
 * Kubernetes), `key` (has the label) and `!key` (has not).
 *
 * @throws {InvalidTargetError} for an empty selector or requirement, or an
 *   invalid label key or value (the message quotes it).
 * @example
 * ```ts
 * import { parseLabelSelector } from "./targeting.ts";
 * parseLabelSelector("site=berlin,role!=edge");
 * // [{ key: "site", op: "=", value: "berlin" }, { key: "role", op: "!=", value: "edge" }]
 * ```
 */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  const fail = (problem: string): never => {
    throw new InvalidTargetError(
      selector,
      `Invalid label selector ${JSON.stringify(selector)}: ${problem}`,
    );
  };
  if (selector.trim() === "") fail("it is empty");
  return selector.split(",").map((part): LabelRequirement => {
    const text = part.trim();
    if (text === "") fail("a requirement between commas is empty");
    const match = /^([^=!]*)(!=|==|=)(.*)$/.exec(text);
    if (match === null) {
      const negated = text.startsWith("!");
      const key = negated ? text.slice(1).trim() : text;
      checkKey(key, fail);
      return { key, op: negated ? "!exists" : "exists" };
    }
    const key = match[1].trim();
    const value = match[3].trim();
    checkKey(key, fail);
    const valueProblem = labelValueProblem(value);
    if (valueProblem !== undefined) {
      fail(`the value ${JSON.stringify(value)} of ${key}: ${valueProblem}`);
    }
    return { key, op: match[2] === "!=" ? "!=" : "=", value };
  });
}

function checkKey(key: string, fail: (problem: string) => never): void {
  const problem = labelKeyProblem(key);
  if (problem !== undefined) {
    fail(`the label key ${JSON.stringify(key)}: ${problem}`);
  }
}

/**
 * Whether `labels` satisfy every requirement.
 *
 * @example
 * ```ts
 * import { matchesLabels, parseLabelSelector } from "./targeting.ts";
 * matchesLabels({ site: "berlin" }, parseLabelSelector("site=berlin,role!=edge")); // true
 * ```
 */
export function matchesLabels(
  labels: DeviceLabels,
  requirements: readonly LabelRequirement[],
): boolean {
  return requirements.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    switch (r.op) {
      case "=":
        return has && labels[r.key] === r.value;
      case "!=":
        return !has || labels[r.key] !== r.value;
      case "exists":
        return has;
      case "!exists":
        return !has;
    }
  });
}

/**
 * Whether resolving `spec` needs the list of known devices (a glob,
 * `all` or a selector); explicit ids alone do not.
 *
 * @example
 * ```ts
 * import { needsKnownDevices } from "./targeting.ts";
 * needsKnownDevices({ targets: ["d1"] }); // false
 * needsKnownDevices({ targets: ["edge-*"] }); // true
 * ```
 */
export function needsKnownDevices(spec: TargetSpec): boolean {
  return spec.all === true || (spec.selectors?.length ?? 0) > 0 ||
    spec.targets.some(isGlob);
}

/**
 * Checks `spec` without the known devices: every id valid, every glob and
 * selector well-formed, something targeted, `all` without ids.
 *
 * @throws {InvalidTargetError} naming the target at fault.
 * @example
 * ```ts
 * import { checkTargetSpec } from "./targeting.ts";
 * checkTargetSpec({ targets: ["edge-*"], selectors: ["site=berlin"] });
 * ```
 */
export function checkTargetSpec(spec: TargetSpec): void {
  const selectors = spec.selectors ?? [];
  if (spec.targets.length === 0 && !spec.all && selectors.length === 0) {
    throw new InvalidTargetError(
      "",
      "No devices named: give device ids, a glob such as 'edge-*', --all or -l <selector>",
    );
  }
  if (spec.all && spec.targets.length > 0) {
    throw new InvalidTargetError(
      spec.targets[0],
      `--all takes no device ids or globs, got ${
        JSON.stringify(spec.targets[0])
      }`,
    );
  }
  for (const target of spec.targets) {
    if (isGlob(target)) globToRegExp(target);
    else {
      const problem = deviceIdProblem(target);
      if (problem !== undefined) {
        throw new InvalidTargetError(
          target,
          `Invalid device id ${JSON.stringify(target)}: ${problem}`,
        );
      }
    }
  }
  for (const selector of selectors) parseLabelSelector(selector);
}

/**
 * The device ids `spec` targets, given the known devices (needed only when
 * {@linkcode needsKnownDevices}; pass `[]` otherwise):
 *
 * - ids stand for themselves, known or not (an unknown one will turn out
 *   offline), in the order given;
 * - a glob stands for every known device whose id it matches, sorted by
 *   id, where the glob stood; one that matches none is an error;
 * - `all`: every known device, sorted by id;
 * - selectors keep only the devices whose labels satisfy all of them
 *   (alone: among every known device); an unknown id has no labels.
 *   Nothing left is an error.
 *
 * Repeats are dropped (first place wins).
 *
 * @throws {InvalidTargetError} as {@linkcode checkTargetSpec}.
 * @throws {NoMatchingDevicesError} naming the glob or selector that matched nothing.
 * @example
 * ```ts
 * import { resolveTargets } from "./targeting.ts";
 * const known = [
 *   { id: "edge-01", labels: { site: "berlin" } },
 *   { id: "edge-02", labels: { site: "paris" } },
 * ];
 * resolveTargets({ targets: ["edge-*"], selectors: ["site=berlin"] }, known); // ["edge-01"]
 * ```
 */
export function resolveTargets(
  spec: TargetSpec,
  known: readonly TargetableDevice[],
): string[] {
  checkTargetSpec(spec);
  const sorted = [...known].sort((a, b) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : 0
  );
  const ids = new Set<string>();
  if (spec.all) {
    if (sorted.length === 0) throw new NoMatchingDevicesError("--all", "all");
    for (const device of sorted) ids.add(device.id);
  }
  for (const target of spec.targets) {
    if (!isGlob(target)) {
      ids.add(target);
      continue;
    }
    const pattern = globToRegExp(target);
    const before = ids.size;
    let matched = false;
    for (const device of sorted) {
      if (pattern.test(device.id)) {
        matched = true;
        ids.add(device.id);
      }
    }
    if (!matched && ids.size === before) {
      throw new NoMatchingDevicesError(target, "glob");
    }
  }
  const selectors = spec.selectors ?? [];
  if (selectors.length === 0) return [...ids];
  const labelsOf = new Map(known.map((d) => [d.id, d.labels]));
  const candidates = spec.targets.length === 0 && !spec.all
    ? sorted.map((d) => d.id)
    : [...ids];
  let selected = candidates;
  for (const selector of selectors) {
    const requirements = parseLabelSelector(selector);
    selected = selected.filter((id) =>
      matchesLabels(labelsOf.get(id) ?? {}, requirements)
    );
    if (selected.length === 0) {
      throw new NoMatchingDevicesError(selector, "selector");
    }
  }
  return selected;
}
