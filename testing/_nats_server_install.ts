/**
 * Installs nats-server into the toolkit's cache: the official release
 * archive first, then (on a Debian machine) the Debian 13 package fetched
 * through the machine's own Debian mirror. Private to `testing/`.
 */
import { parseNatsServerVersion, type SemVer } from "./_version.ts";

/** The release installed when nothing else is found. */
export const RELEASE_VERSION = "2.10.27";
/** The Debian release whose package carries nats-server 2.10. */
export const DEBIAN_SUITE = "trixie";

const CONNECT_TIMEOUT_MS = 5_000;
const DOWNLOAD_TIMEOUT_MS = 120_000;

/** Where a candidate binary came from, for messages. */
export type InstallSource = "release" | "debian";

/** A binary ready to be moved into the cache. */
export interface StagedBinary {
  /** Path of the staged `nats-server` executable. */
  path: string;
  /** What it was installed from. */
  source: InstallSource;
}

/**
 * Thrown when an archive cannot be downloaded: the host does not resolve,
 * refuses the connection, does not answer in time, or answers with an error
 * status. `reason` says which in a few words, for a one-line message.
 */
export class DownloadError extends Error {
  /** What was being downloaded. */
  readonly url: string;
  /** Why it failed, in a few words: `cannot resolve example.org`, `HTTP 404 from example.org`. */
  readonly reason: string;

  /** Builds the error; the message has the URL and the full cause. */
  constructor(url: string, reason: string, options?: ErrorOptions) {
    const cause = options?.cause;
    super(
      `Cannot download "${url}": ${
        cause === undefined ? reason : errorText(cause)
      }`,
      options,
    );
    this.name = "DownloadError";
    this.url = url;
    this.reason = reason;
  }
}

/** Why a fetch of `url` failed, in a few words. */
function shortFetchReason(url: string, error: unknown): string {
  const host = new URL(url).host;
  const text = errorText(error);
  if (/dns error|failed to lookup address/i.test(text)) {
    return `cannot resolve ${new URL(url).hostname}`;
  }
  if (/connection refused/i.test(text)) return `connection refused by ${host}`;
  if (/timed out/i.test(text)) return `${host} timed out`;
  const detail =
    text.replace(/^.*error sending request for url \([^)]*\): /, "")
      .split("\n")[0];
  return detail.length > 100 ? `${detail.slice(0, 99)}…` : detail;
}

/** Runs a command, returning its output; throws with its stderr on failure. */
async function run(
  command: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<string> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(command, {
      args,
      cwd: options.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (cause) {
    throw new Error(`Cannot run "${command}": ${String(cause)}`, { cause });
  }
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr).trim();
    throw new Error(
      `"${command} ${args.join(" ")}" exited with code ${output.code}: ${
        stderr.split("\n").slice(-5).join("\n")
      }`,
    );
  }
  return new TextDecoder().decode(output.stdout);
}

/** Maps `Deno.build.arch` to the name used by release archives and Debian. */
function archName(kind: "release" | "debian"): string {
  const arch = Deno.build.arch;
  if (arch === "x86_64") return "amd64";
  if (arch === "aarch64") return "arm64";
  throw new Error(
    `Cannot install nats-server for ${kind}: unsupported architecture "${arch}"`,
  );
}

/** URL of the official release archive for this machine. */
export function releaseArchiveUrl(version: string = RELEASE_VERSION): string {
  const name = `nats-server-v${version}-linux-${archName("release")}`;
  return `https://github.com/nats-io/nats-server/releases/download/v${version}/${name}.tar.gz`;
}

async function sha256Hex(path: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    await Deno.readFile(path),
  );
  return [...new Uint8Array(digest)]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("");
}

/**
 * Fetches `url` and hands its response to `use`, failing fast: no answer
 * within 5 s (DNS failure, unreachable host) aborts; the whole transfer gets
 * two minutes. Failures to fetch are {@linkcode DownloadError}s.
 */
async function fetchFailFast<T>(
  url: string,
  use: (response: Response) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const connectTimer = setTimeout(
    () =>
      controller.abort(new Error(`no answer within ${CONNECT_TIMEOUT_MS} ms`)),
    CONNECT_TIMEOUT_MS,
  );
  const overallTimer = setTimeout(
    () =>
      controller.abort(new Error(`not done within ${DOWNLOAD_TIMEOUT_MS} ms`)),
    DOWNLOAD_TIMEOUT_MS,
  );
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal: controller.signal });
    } catch (cause) {
      const reason = controller.signal.aborted
        ? errorText(controller.signal.reason)
        : shortFetchReason(url, cause);
      throw new DownloadError(url, reason, { cause });
    }
    clearTimeout(connectTimer);
    if (!response.ok) {
      await response.body?.cancel();
      throw new DownloadError(
        url,
        `HTTP ${response.status} from ${new URL(url).host}`,
      );
    }
    try {
      return await use(response);
    } catch (cause) {
      if (!controller.signal.aborted) throw cause;
      throw new DownloadError(url, errorText(controller.signal.reason), {
        cause,
      });
    }
  } finally {
    clearTimeout(connectTimer);
    clearTimeout(overallTimer);
  }
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error
    ? `${error.message} (${errorText(error.cause)})`
    : error.message;
}

/** Options of {@linkcode stageFromRelease}. */
export interface StageFromReleaseOptions {
  /** Receives one line per step. */
  log: (line: string) => void;
  /** The archive to download. @default {releaseArchiveUrl()} */
  url?: string;
}

/**
 * Downloads the official release archive into `workDir` and unpacks it.
 * Fails fast (DNS failure, or no answer within 5 s) with a
 * {@linkcode DownloadError}. Verifies the archive against the release's
 * `SHA256SUMS` when that file is published.
 */
export async function stageFromRelease(
  workDir: string,
  options: StageFromReleaseOptions,
): Promise<StagedBinary> {
  const url = options.url ?? releaseArchiveUrl();
  options.log(`downloading the release archive ${url}…`);
  const archive = `${workDir}/nats-server.tar.gz`;
  await fetchFailFast(
    url,
    (response) => Deno.writeFile(archive, response.body!),
  );
  const sumsUrl = url.replace(/[^/]+$/, "SHA256SUMS");
  const sums = await fetchFailFast(sumsUrl, (response) => response.text())
    .catch(() => undefined);
  if (sums !== undefined) {
    const name = url.slice(url.lastIndexOf("/") + 1);
    const expected = sums.split("\n").find((line) => line.includes(name))
      ?.split(/\s+/)[0];
    const actual = await sha256Hex(archive);
    if (expected && expected !== actual) {
      throw new Error(
        `Checksum mismatch for "${url}": expected ${expected}, got ${actual}`,
      );
    }
  }
  await run("tar", ["-xzf", archive, "-C", workDir]);
  const dir = url.slice(url.lastIndexOf("/") + 1).replace(/\.tar\.gz$/, "");
  return { path: `${workDir}/${dir}/nats-server`, source: "release" };
}

/** A Debian mirror found in the machine's apt sources. */
export interface DebianMirror {
  /** The mirror's base URI, e.g. the one apt uses for the main archive. */
  uri: string;
  /** The `Signed-By` keyring of that source, if it names one. */
  signedBy?: string;
}

/**
 * Finds the main Debian archive mirror in apt sources: deb822 text (the
 * `debian.sources` format) or one-line `sources.list` text. Security and
 * update suites are skipped; `undefined` when there is no Debian source.
 */
export function parseDebianMirror(text: string): DebianMirror | undefined {
  const isMainSuite = (suite: string) => /^[a-z]+$/.test(suite);
  const isDebian = (uri: string) =>
    /\/debian\/?$/.test(uri) && !/security/.test(uri);
  // deb822: blank-line separated stanzas of "Key: value".
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split("\n")) {
      const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (match) fields.set(match[1].toLowerCase(), match[2].trim());
    }
    if (!fields.has("uris")) continue;
    if (!(fields.get("types") ?? "").split(/\s+/).includes("deb")) continue;
    if (fields.get("enabled")?.toLowerCase() === "no") continue;
    const suites = (fields.get("suites") ?? "").split(/\s+/);
    const uri = fields.get("uris")!.split(/\s+/).find(isDebian);
    if (uri && suites.some(isMainSuite)) {
      const signedBy = fields.get("signed-by");
      return signedBy?.startsWith("/") ? { uri, signedBy } : { uri };
    }
  }
  // One-line format: deb [options] uri suite components...
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    const match = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (!match || !isDebian(match[2]) || !isMainSuite(match[3])) continue;
    const signedBy = /signed-by=(\S+)/.exec(match[1] ?? "")?.[1];
    return signedBy ? { uri: match[2], signedBy } : { uri: match[2] };
  }
  return undefined;
}

/** The apt source files of this machine that exist, in the order apt reads them. */
export const APT_SOURCE_FILES: readonly string[] = [
  "/etc/apt/sources.list.d/debian.sources",
  "/etc/apt/sources.list",
];

/** Reads the machine's Debian mirror, or `undefined` when this is not Debian. */
export async function readDebianMirror(): Promise<DebianMirror | undefined> {
  for (const file of APT_SOURCE_FILES) {
    const text = await Deno.readTextFile(file).catch(() => undefined);
    const mirror = text === undefined ? undefined : parseDebianMirror(text);
    if (mirror) return mirror;
  }
  return undefined;
}

/**
 * Fetches the Debian 13 nats-server package with `apt-get download` through
 * a throw-away apt state in `workDir` (the system's apt setup is untouched)
 * and unpacks it with `dpkg-deb -x`.
 */
export async function stageFromDebian(
  workDir: string,
  mirror: DebianMirror,
  log: (line: string) => void,
): Promise<StagedBinary> {
  const parts = `${workDir}/sources.list.d`;
  const lists = `${workDir}/lists`;
  const cache = `${workDir}/cache`;
  const prefs = `${workDir}/preferences.d`;
  for (
    const dir of [parts, `${lists}/partial`, `${cache}/archives/partial`, prefs]
  ) {
    await Deno.mkdir(dir, { recursive: true });
  }
  const signedBy = mirror.signedBy ??
    "/usr/share/keyrings/debian-archive-keyring.gpg";
  await Deno.writeTextFile(
    `${parts}/${DEBIAN_SUITE}.sources`,
    [
      "Types: deb",
      `URIs: ${mirror.uri}`,
      `Suites: ${DEBIAN_SUITE}`,
      "Components: main",
      `Signed-By: ${signedBy}`,
      "",
    ].join("\n"),
  );
  const aptOptions = [
    "-q",
    "-o",
    "Dir::Etc::SourceList=/dev/null",
    "-o",
    `Dir::Etc::SourceParts=${parts}`,
    "-o",
    "Dir::Etc::Preferences=/dev/null",
    "-o",
    `Dir::Etc::PreferencesParts=${prefs}`,
    "-o",
    `Dir::State::Lists=${lists}`,
    "-o",
    `Dir::Cache=${cache}`,
    "-o",
    "Dir::State::status=/dev/null",
    "-o",
    `APT::Architecture=${archName("debian")}`,
    ...(Deno.uid() === 0 ? ["-o", "APT::Sandbox::User=root"] : []),
  ];
  log(
    `reading the Debian ${DEBIAN_SUITE} package index from ${mirror.uri} (apt-get update in a private apt state; the system's apt setup is untouched)…`,
  );
  await run("apt-get", [...aptOptions, "update"], { cwd: workDir });
  log(`downloading the Debian package "nats-server" (apt-get download)…`);
  await run("apt-get", [...aptOptions, "download", "nats-server"], {
    cwd: workDir,
  });
  const deb = [...Deno.readDirSync(workDir)].find((entry) =>
    entry.isFile && /^nats-server_.*\.deb$/.test(entry.name)
  );
  if (!deb) {
    throw new Error(
      `apt-get download left no nats-server .deb in "${workDir}"`,
    );
  }
  await run("dpkg-deb", ["-x", `${workDir}/${deb.name}`, `${workDir}/root`]);
  return { path: `${workDir}/root/usr/sbin/nats-server`, source: "debian" };
}

/** Runs `<path> --version` and parses it; throws when it cannot. */
export async function probeVersion(path: string): Promise<SemVer> {
  const output = await run(path, ["--version"]);
  const version = parseNatsServerVersion(output);
  if (!version) {
    throw new Error(
      `Cannot read the version of "${path}": "--version" printed ${
        JSON.stringify(output.trim())
      }`,
    );
  }
  return version;
}

/**
 * The ways to stage a nats-server binary, tried in order by the installer:
 * the official release archive, then the Debian package. Tests replace them.
 */
export interface InstallSteps {
  /** Stages the release archive's binary in `workDir`. */
  release(workDir: string, log: (line: string) => void): Promise<StagedBinary>;
  /** Stages the Debian package's binary in `workDir`. */
  debian(workDir: string, log: (line: string) => void): Promise<StagedBinary>;
}

/** The real install steps. */
export const DEFAULT_INSTALL_STEPS: InstallSteps = {
  release: (workDir, log) => stageFromRelease(workDir, { log }),
  async debian(workDir, log) {
    const mirror = await readDebianMirror();
    if (!mirror) {
      throw new Error(
        "no Debian apt source found, so no Debian package to try",
      );
    }
    return await stageFromDebian(workDir, mirror, log);
  },
};
