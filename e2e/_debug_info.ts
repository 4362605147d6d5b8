/**
 * The text `Stack.printDebugInfo()` prints, as in the plan's
 * "Observability" section. Private to `e2e/`.
 */
import type { Credentials } from "../testing/nats_server_config.ts";

/** What the debug text is made of. */
export interface DebugInfoFields {
  namespace: string;
  keep: boolean;
  dir: string;
  natsUrl: string;
  admin: Credentials;
  /** The operator's TLS files, for a stack with TLS. @default {undefined} */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  natsServerLog: string;
  natsServerPid: number;
  /** Whether nats-server has exited. @default {false} */
  natsServerExited?: boolean;
  /**
   * The nodes of a nats-server cluster (`natsCluster`), printed instead of
   * `natsServerLog` and `natsServerPid`.
   *
   * @default {undefined (a single nats-server)}
   */
  natsNodes?: readonly {
    name: string;
    logPath: string;
    /** Its pid; `undefined` while it is down. */
    pid?: number;
  }[];
  devices: readonly {
    deviceId: string;
    logPath: string;
    pid: number;
    /** Whether the agent has exited. @default {false} */
    exited?: boolean;
  }[];
  /** The stack's podman, with `runtime: "podman"`. @default {undefined} */
  podman?: {
    socketPath: string;
    pid: number;
    /** Whether the service has exited. @default {false} */
    exited?: boolean;
    /** The service's dir (storage, socket, log). */
    dir: string;
    /** The podman CLI on its storage: `env CONTAINERS_CONF=… podman --root …`. */
    cli: string;
    /** The containers the stack started. */
    containers: readonly { deviceId: string; name: string }[];
  };
}

/** Quotes `value` for a POSIX shell when it needs it. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)
    ? value
    : `'${value.replaceAll("'", `'"'"'`)}'`;
}

/** How to run this package's CLI: the checkout's `mod.ts`, or from JSR. */
export function cliCommand(): string {
  const url = new URL("../mod.ts", import.meta.url);
  return url.protocol === "file:"
    ? `deno run -A ${shellQuote(decodeURIComponent(url.pathname))}`
    : "deno run -A jsr:@harmony/fleet";
}

/** The podman lines: the service, and `fleet logs`/`fleet exec` per container. */
function podmanLines(
  podman: DebugInfoFields["podman"],
  cli: string,
  auth: string,
): string[] {
  if (podman === undefined) return [];
  const q = shellQuote;
  const lines = [
    `podman: unix://${podman.socketPath}  (pid ${podman.pid}); its containers: ${podman.cli} ps --all`,
  ];
  if (podman.containers.length === 0) {
    lines.push(
      "containers: none started yet (stack.startContainer(deviceId, { name, cmd }))",
    );
  }
  for (const { deviceId, name } of podman.containers) {
    lines.push(
      `logs ${name} on ${deviceId}: ${cli} logs ${q(deviceId)} ${
        q(name)
      } --tail 20 ${auth}`,
      `exec in ${name} on ${deviceId}: ${cli} exec ${q(deviceId)} ${
        q(name)
      } ${auth} -- ps`,
    );
  }
  return lines;
}

/** What every backend's debug text starts with. */
export interface StackDebugBasics {
  namespace: string;
  keep: boolean;
  dir: string;
  natsUrl: string;
  admin: Credentials;
  /** The operator's TLS files, for a stack with TLS. @default {undefined} */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  deviceIds: readonly string[];
}

/**
 * The lines every backend prints (without the `[e2e] ` prefix): namespace,
 * dir, NATS URL, credentials, device ids and the ping commands; and the
 * `fleet` CLI's connection flags (`auth`) for more commands.
 */
export function stackDebugBasics(
  fields: StackDebugBasics,
): { lines: string[]; auth: string; cli: string } {
  const q = shellQuote;
  const { tls } = fields;
  // The nats CLI spells these flags the same way.
  const tlsFlags = tls === undefined ? "" : [
    ...(tls.caFile ? [` --tlsca ${q(tls.caFile)}`] : []),
    ...(tls.certFile ? [` --tlscert ${q(tls.certFile)}`] : []),
    ...(tls.keyFile ? [` --tlskey ${q(tls.keyFile)}`] : []),
    " --tlsfirst",
  ].join("");
  const auth = `-s ${q(fields.natsUrl)} --user ${
    q(fields.admin.user)
  } --password ${q(fields.admin.password)}${tlsFlags}`;
  const ids = fields.deviceIds;
  const cli = cliCommand();
  const lines = [
    `namespace: ${fields.namespace} (${
      fields.keep
        ? "kept: FLEET_E2E_KEEP=1"
        : "will be deleted on exit unless FLEET_E2E_KEEP=1"
    })`,
    `dir: ${fields.dir}`,
    `NATS: ${fields.natsUrl}`,
    ...(tls === undefined
      ? []
      : [`TLS: mutual TLS, TLS first; CA ${q(tls.caFile ?? "(system)")}`]),
    `admin user: ${fields.admin.user}  password: ${fields.admin.password}`,
    `devices: ${ids.join(" ")}`,
    `ping: ${cli} ping ${ids.map(q).join(" ")} ${auth}`,
    ...ids.map((id) =>
      `nats req ${q(`device-commands.${id}.ping`)} "" ${auth}`
    ),
  ];
  return { lines, auth, cli };
}

/** Renders the debug text of a local stack, one `[e2e] …` line each. */
export function renderDebugInfo(fields: DebugInfoFields): string {
  const q = shellQuote;
  const basics = stackDebugBasics({
    ...fields,
    deviceIds: fields.devices.map((device) => device.deviceId),
  });
  const { auth } = basics;
  const lines = [
    ...basics.lines,
    ...fields.devices.map((device) =>
      `tail agent: tail -f ${q(device.logPath)}  (pid ${device.pid})`
    ),
    ...(fields.natsNodes?.map((node) =>
      `tail nats-server ${node.name}: tail -f ${q(node.logPath)}  (${
        node.pid === undefined ? "down" : `pid ${node.pid}`
      })`
    ) ?? [
      `tail nats-server: tail -f ${
        q(fields.natsServerLog)
      }  (pid ${fields.natsServerPid})`,
    ]),
    ...podmanLines(fields.podman, basics.cli, auth),
  ];
  if (fields.keep) {
    const processes = [
      ...fields.devices.map((device) => ({
        pid: device.pid,
        exited: device.exited,
      })),
      ...(fields.natsNodes?.flatMap((node) =>
        node.pid === undefined ? [] : [{ pid: node.pid, exited: false }]
      ) ?? [{ pid: fields.natsServerPid, exited: fields.natsServerExited }]),
      ...(fields.podman ? [fields.podman] : []),
    ];
    const alive = processes.filter((p) => !p.exited).map((p) => p.pid);
    const gone = processes.filter((p) => p.exited).map((p) => p.pid);
    if (gone.length > 0) {
      lines.push(`not kept: pid ${gone.join(" ")} already exited`);
    }
    const podman = fields.podman;
    lines.push(
      [
        // Containers first, while their service still runs: it unmounts
        // their storage as it removes them.
        ...(podman ? [`${podman.cli} rm --all --force --time 0`] : []),
        // Then the processes, waiting until they are gone: nothing writes
        // into the dirs while they are removed.
        ...(alive.length > 0
          ? [
            `kill ${alive.join(" ")}`,
            `while kill -0 ${alive.join(" ")} 2>/dev/null; do sleep 0.1; done`,
          ]
          : []),
        // The storage's own bind mount outlives a killed service.
        ...(podman
          ? [
            `umount --recursive ${q(`${podman.dir}/root/overlay`)} 2>/dev/null`,
          ]
          : []),
        `rm -rf ${
          [fields.dir, ...(podman ? [podman.dir] : [])].map(q).join(" ")
        }`,
      ].join("; ").replace(/^/, "clean up: "),
    );
  }
  return lines.map((line) => `[e2e] ${line}`).join("\n");
}
