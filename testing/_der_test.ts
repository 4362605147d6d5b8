import assert from "node:assert/strict";
import {
  ipAddressBytes,
  namedBits,
  oid,
  pem,
  time,
  tlv,
  unsignedInteger,
} from "./_der.ts";

const hex = (bytes: Uint8Array) =>
  [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

Deno.test("oid() encodes arcs of more than 7 bits in base 128", () => {
  assert.equal(hex(oid("2.5.4.3")), "0603550403");
  assert.equal(hex(oid("1.2.840.10045.4.3.2")), "06082a8648ce3d040302");
});

Deno.test("tlv() writes long lengths in the long form", () => {
  assert.equal(hex(tlv(0x04, new Uint8Array(5))).slice(0, 4), "0405");
  assert.equal(hex(tlv(0x04, new Uint8Array(200))).slice(0, 6), "0481c8");
  assert.equal(hex(tlv(0x04, new Uint8Array(300))).slice(0, 8), "0482012c");
});

Deno.test("unsignedInteger() drops leading zeros and keeps the value positive", () => {
  assert.equal(hex(unsignedInteger(new Uint8Array([0, 0, 5]))), "020105");
  assert.equal(hex(unsignedInteger(new Uint8Array([0x80]))), "02020080");
  assert.equal(hex(unsignedInteger(new Uint8Array([0]))), "020100");
});

Deno.test("namedBits() drops trailing zero bits as DER wants", () => {
  assert.equal(hex(namedBits([0])), "03020780"); // digitalSignature
  assert.equal(hex(namedBits([5, 6])), "03020106"); // keyCertSign, cRLSign
});

Deno.test("time() is UTCTime until 2049 and GeneralizedTime after", () => {
  assert.equal(
    new TextDecoder().decode(time(new Date("2026-11-28T09:01:55.5Z")).slice(2)),
    "261128090155Z",
  );
  assert.equal(time(new Date("2050-01-01T00:00:00Z"))[0], 0x18);
});

Deno.test("ipAddressBytes() reads IPv4 and IPv6, and refuses anything else", () => {
  assert.equal(hex(ipAddressBytes("127.0.0.1")), "7f000001");
  assert.equal(hex(ipAddressBytes("::1")), "0".repeat(31) + "1");
  assert.equal(
    hex(ipAddressBytes("fe80::1:2")),
    "fe80" + "0".repeat(20) + "00010002",
  );
  assert.throws(() => ipAddressBytes("localhost"), TypeError);
  assert.throws(() => ipAddressBytes("1:2:3:4:5:6:7:8:9"), TypeError);
});

Deno.test("pem() wraps base64 at 64 characters between the labels", () => {
  const text = pem("CERTIFICATE", new Uint8Array(100));
  const lines = text.trimEnd().split("\n");
  assert.equal(lines[0], "-----BEGIN CERTIFICATE-----");
  assert.equal(lines.at(-1), "-----END CERTIFICATE-----");
  assert.equal(lines[1].length, 64);
});
