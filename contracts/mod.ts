/**
 * The wire protocol of `@harmony/fleet`, version 2: the verb registry
 * (`ping`, `logs`, `exec`, `cancel`, `keepalive`: request and reply types
 * and codecs that check shape), streamed replies (headers, end reasons,
 * chunk size), error kinds and their codes, device-id validation, subject
 * builders, header names and the NATS permissions of devices and
 * operators. Pure: no NATS, no I/O.
 *
 * @example
 * ```ts
 * import { deviceCommandSubject, Verb } from "@harmony/fleet/contracts";
 * deviceCommandSubject("vm-device-00", Verb.Ping); // "device-commands.vm-device-00.ping"
 * ```
 *
 * @module
 */
export * from "./base64.ts";
export * from "./codecs.ts";
export * from "./device_id.ts";
export * from "./error_reply.ts";
export * from "./error_kinds.ts";
export * from "./headers.ts";
export * from "./heartbeat_message.ts";
export * from "./labels.ts";
export * from "./messages.ts";
export * from "./payload_error.ts";
export * from "./permissions.ts";
export * from "./registry.ts";
export * from "./rfc3339.ts";
export * from "./stream.ts";
export * from "./subjects.ts";
export * from "./verbs/mod.ts";
export * from "./version.ts";
