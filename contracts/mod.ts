/**
 * The wire protocol of `@harmony/fleet`, version 1: verbs, payload types,
 * error kinds and their codes, device-id validation, subject builders,
 * header names and JSON codecs that check shape. Pure: no NATS, no I/O.
 *
 * @example
 * ```ts
 * import { deviceCommandSubject, Verb } from "@harmony/fleet/contracts";
 * deviceCommandSubject("vm-device-00", Verb.Ping); // "device-commands.vm-device-00.ping"
 * ```
 *
 * @module
 */
export * from "./codecs.ts";
export * from "./device_id.ts";
export * from "./error_kinds.ts";
export * from "./headers.ts";
export * from "./heartbeat_message.ts";
export * from "./messages.ts";
export * from "./payload_error.ts";
export * from "./subjects.ts";
export * from "./verbs.ts";
export * from "./version.ts";
