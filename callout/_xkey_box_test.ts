import assert from "node:assert/strict";
import { createCurve } from "@nats-io/nkeys";
import { XkeyBox } from "./_xkey_box.ts";

Deno.test("XkeyBox interoperates with @nats-io/nkeys' seal and open", () => {
  const ours = createCurve();
  const theirs = createCurve();
  const box = new XkeyBox(ours.getSeed());
  const data = new TextEncoder().encode("a request");
  const fromPeer = theirs.seal(data, ours.getPublicKey());
  assert.deepEqual(box.open(fromPeer, theirs.getPublicKey()), data);
  const toPeer = box.seal(data, theirs.getPublicKey());
  assert.deepEqual(theirs.open(toPeer, ours.getPublicKey()), data);
  assert.equal(box.open(toPeer, createCurve().getPublicKey()), null);
  assert.equal(box.open(new Uint8Array(10), theirs.getPublicKey()), null);
});
