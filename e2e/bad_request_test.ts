import assert from "node:assert/strict";
import {
  decodeErrorReply,
  ERROR_CODES,
  ErrorKind,
  Header,
} from "../contracts/mod.ts";
import { FleetCommandsClient } from "../operator/mod.ts";
import { Stack } from "./stack.ts";
import { e2eVariants } from "./_test_backends.ts";

// On each backend (plain TCP: the transport is not what is tested here).
for (
  const { backend, auth, label, ignore } of e2eVariants().filter((v) => !v.tls)
) {
  Deno.test({
    name:
      `agent main() answers malformed JSON with bad_request and keeps answering ping${label}`,
    ignore,
    fn: async () => {
      await using stack = await Stack.bringUp({ backend, auth });
      const [deviceId] = stack.deviceIds;
      const reply = await stack.operatorClient.request(
        `device-commands.${deviceId}.ping`,
        "{not json",
        { timeout: 5000 },
      );
      assert.equal(
        reply.headers?.get(Header.ServiceErrorCode),
        String(ERROR_CODES[ErrorKind.BadRequest]),
      );
      assert.notEqual(reply.headers?.get(Header.ServiceError), "");
      const body = decodeErrorReply(reply.data);
      assert.equal(body.kind, ErrorKind.BadRequest);
      assert.notEqual(body.message, "");

      const client = new FleetCommandsClient(stack.operatorClient);
      assert.equal((await client.ping(deviceId)).device_id, deviceId);
    },
  });

  Deno.test({
    name:
      `agent main() answers an unknown verb with bad_request and keeps answering ping${label}`,
    ignore,
    fn: async () => {
      await using stack = await Stack.bringUp({ backend, auth });
      const [deviceId] = stack.deviceIds;
      const reply = await stack.operatorClient.request(
        `device-commands.${deviceId}.frobnicate`,
        "",
        { timeout: 5000 },
      );
      assert.equal(reply.headers?.get(Header.ServiceErrorCode), "400");
      const body = decodeErrorReply(reply.data);
      assert.equal(body.kind, "bad_request");
      assert.match(body.message, /frobnicate/);

      const client = new FleetCommandsClient(stack.operatorClient);
      assert.equal((await client.ping(deviceId)).device_id, deviceId);
    },
  });
}
