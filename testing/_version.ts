/** A `major.minor.patch` version of nats-server. */
export interface SemVer {
  /** Major version. */
  major: number;
  /** Minor version. */
  minor: number;
  /** Patch version. */
  patch: number;
}

/** The oldest nats-server the harness accepts. */
export const MIN_NATS_SERVER_VERSION: SemVer = {
  major: 2,
  minor: 10,
  patch: 0,
};

/**
 * Parses the output of `nats-server --version` (`nats-server: v2.10.27`) or a
 * bare version (`2.10.27`, `v2.10.27-1+b2`); `undefined` when there is none.
 */
export function parseNatsServerVersion(text: string): SemVer | undefined {
  const match = /\bv?(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!match) return undefined;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
  };
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`. */
export function compareVersions(a: SemVer, b: SemVer): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** `2.10.27`. */
export function formatVersion(version: SemVer): string {
  return `${version.major}.${version.minor}.${version.patch}`;
}
