import assert from "node:assert/strict";
import { errors as natsErrors } from "@nats-io/nats-core";
import { connect } from "../nats/mod.ts";
import { FleetCommandsClient } from "../operator/mod.ts";
import {
  ignoreWithoutPodman,
  PodmanStore,
  processAlive,
} from "../testing/mod.ts";
import { Stack } from "./stack.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Pods, containers and volumes in the e2e store whose name has `namespace`. */
async function leftovers(namespace: string): Promise<string[]> {
  const store = await PodmanStore.open();
  const names = async (args: string[]) =>
    decode((await store.podman(args)).stdout).split("\n").filter((name) =>
      name.includes(namespace)
    );
  return [
    ...await names(["pod", "ps", "--format", "{{.Name}}"]),
    ...await names(["ps", "--all", "--format", "{{.Names}}"]),
    ...await names(["volume", "ls", "--format", "{{.Name}}"]),
  ];
}

Deno.test({
  name:
    'Stack.bringUp({ backend: "podman", auth: "callout" }) logs the agents in pods in with mounted token files through the host\'s callout; dispose leaves nothing',
  ignore: ignoreWithoutPodman(),
  fn: async () => {
    let namespace: string;
    let dir: string;
    let calloutPid: number;
    {
      await using stack = await Stack.bringUp({
        backend: "podman",
        devices: 2,
        auth: "callout",
      });
      namespace = stack.namespace;
      dir = stack.dir;
      calloutPid = stack.callout.pid;
      assert.equal(stack.backend, "podman");
      assert.equal(stack.auth, "callout");
      const [a, b] = stack.deviceIds;
      const client = new FleetCommandsClient(stack.operatorClient);
      assert.deepEqual(
        (await Promise.all([a, b].map((id) => client.ping(id)))).map((r) =>
          r.device_id
        ),
        [a, b],
      );
      // Both agents logged in as their device through the callout, and the
      // operator as operator.
      const allowed = (await stack.callout.events()).filter((e) =>
        e.event === "auth_allowed"
      );
      for (const id of [a, b]) {
        assert.ok(
          allowed.some((e) =>
            e.subject === `device-${id}` && e.role === "device"
          ),
          JSON.stringify(allowed),
        );
      }
      assert.ok(allowed.some((e) => e.role === "operator"));
      // The agents' ConfigMaps: a token file beside the config, no password;
      // nats-server's: the auth_callout block, no device user.
      for (const file of ["stack.yaml", "agents.yaml"]) {
        assert.equal((await Deno.stat(`${dir}/${file}`)).mode! & 0o777, 0o600);
      }
      // toYaml writes JSON documents.
      const maps = (await Deno.readTextFile(`${dir}/agents.yaml`))
        .split(/^---$/m).filter((text) => text.trim() !== "")
        .map((text) => JSON.parse(text) as { kind: string; data?: object })
        .filter((object) => object.kind === "ConfigMap");
      assert.equal(maps.length, 2);
      for (const map of maps) {
        const data = map.data as Record<string, string>;
        const [token, toml] = Object.keys(data).sort(); // ".token" < ".toml"
        assert.equal(Object.keys(data).length, 2);
        assert.match(token, /^agent-\S+\.token$/);
        assert.match(
          data[toml],
          /token_file = "\/etc\/harmony-fleet\/token"/,
        );
        assert.doesNotMatch(data[toml], /password/);
      }
      const natsText = await Deno.readTextFile(`${dir}/stack.yaml`);
      assert.match(natsText, /auth_callout/);
      for (const id of [a, b]) assert.equal(natsText.includes(id), false);
      // A device logs in as itself only; an expired token is refused.
      const nc = await connect(await stack.deviceConnectionOptions(a));
      try {
        await assert.rejects(
          nc.request(`device-commands.${b}.ping`, "", { timeout: 2_000 }),
          (error) => error instanceof Error,
        );
      } finally {
        await nc.close();
      }
      const expired = await stack.oidcIssuer.mint({
        subject: `device-${a}`,
        lifetimeS: -120,
      });
      await assert.rejects(
        connect({ servers: stack.natsUrl, token: expired, reconnect: false }),
        natsErrors.AuthorizationError,
      );
      assert.match(stack.debugInfo(), /\[e2e\] auth: callout; OIDC issuer/);
    }
    assert.deepEqual(await leftovers(namespace), []);
    assert.equal(processAlive(calloutPid), false);
    await assert.rejects(Deno.stat(dir), Deno.errors.NotFound);
  },
});
