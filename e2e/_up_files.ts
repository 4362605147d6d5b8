/**
 * The files `deno task up` writes so that other terminals can reach its
 * stack: `fleet-up.env` (for `source`) and the `nats` CLI context
 * `fleet-up`. Private to `e2e/`.
 */
import { shellQuote } from "./_debug_info.ts";
import type { Credentials } from "../testing/nats_server_config.ts";

/** Name of the env file and of the nats CLI context. */
export const UP_NAME = "fleet-up";

/** What the files say. */
export interface UpFilesFields {
  namespace: string;
  natsUrl: string;
  admin: Credentials;
  deviceIds: readonly string[];
  /** The first device's workload container, when the stack runs podman. */
  container?: string;
}

/** Where the files go. */
export interface UpFilesOptions {
  /** Directory of `fleet-up.env`: where `deno task up` was started. */
  dir: string;
  /** Reads `XDG_CONFIG_HOME` and `HOME`, as the nats CLI does. */
  env: Readonly<Record<string, string | undefined>>;
}

/** The nats CLI's context dir: `$XDG_CONFIG_HOME/nats/context`, else `~/.config/nats/context`. */
export function natsContextDir(
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const configHome = env.XDG_CONFIG_HOME ||
    (env.HOME ? `${env.HOME}/.config` : undefined);
  return configHome && `${configHome}/nats/context`;
}

/** The text of `fleet-up.env`. */
export function renderUpEnv(fields: UpFilesFields): string {
  const q = shellQuote;
  return [
    `# Written by \`deno task up\` for stack ${fields.namespace}; removed when it stops.`,
    `# Use: source ${UP_NAME}.env`,
    `export NATS_URL=${q(fields.natsUrl)}`,
    `export NATS_USER=${q(fields.admin.user)}`,
    `export NATS_PASSWORD=${q(fields.admin.password)}`,
    `export FLEET_DEVICES=${q(fields.deviceIds.join(" "))}`,
    `export FLEET_DEVICE=${q(fields.deviceIds[0] ?? "")}`,
    ...(fields.container === undefined
      ? []
      : [`export FLEET_CONTAINER=${q(fields.container)}`]),
    "",
  ].join("\n");
}

/** The nats CLI context `fleet-up`, in the nats CLI's own format. */
export function renderUpContext(fields: UpFilesFields): string {
  return JSON.stringify(
    {
      description: `deno task up: stack ${fields.namespace}`,
      url: fields.natsUrl,
      user: fields.admin.user,
      password: fields.admin.password,
    },
    null,
    2,
  ) + "\n";
}

/** The files written, removed on dispose unless another run replaced them. */
export interface UpFiles extends AsyncDisposable {
  /** Path of `fleet-up.env`. */
  readonly envPath: string;
  /** Path of the context file, when there is a config dir to put it in. */
  readonly contextPath: string | undefined;
}

/**
 * Writes `fleet-up.env` into `options.dir` and the context `fleet-up` into
 * the nats CLI's context dir, both readable by their owner only (they hold
 * the admin password). The selected context (`context.txt`) is not
 * touched. Dispose removes each file if it still holds what was written
 * (a later `deno task up` may have replaced it).
 */
export async function writeUpFiles(
  fields: UpFilesFields,
  options: UpFilesOptions,
): Promise<UpFiles> {
  const written: [string, string][] = [];
  const write = async (path: string, text: string) => {
    await Deno.writeTextFile(path, text, { mode: 0o600 });
    await Deno.chmod(path, 0o600);
    written.push([path, text]);
  };
  const envPath = `${options.dir}/${UP_NAME}.env`;
  await write(envPath, renderUpEnv(fields));
  const contextDir = natsContextDir(options.env);
  let contextPath: string | undefined;
  if (contextDir) {
    await Deno.mkdir(contextDir, { recursive: true });
    contextPath = `${contextDir}/${UP_NAME}.json`;
    await write(contextPath, renderUpContext(fields));
  }
  let disposed: Promise<void> | undefined;
  return {
    envPath,
    contextPath,
    [Symbol.asyncDispose]() {
      disposed ??= (async () => {
        for (const [path, text] of written) {
          const now = await Deno.readTextFile(path).catch(() => undefined);
          if (now === text) await Deno.remove(path).catch(() => {});
        }
      })();
      return disposed;
    },
  };
}
