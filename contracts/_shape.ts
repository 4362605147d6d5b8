// Small structural checks shared by the codecs. Each returns the checked
// value or throws PayloadError naming the field and what was expected.
import { PayloadError } from "./payload_error.ts";

export type JsonObject = Record<string, unknown>;

// One decoder for every message: making one costs more than a heartbeat's
// whole decode (a registry listing decodes 10,000 in a row).
const decoder = new TextDecoder();

export function parseJsonObject(data: Uint8Array, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(data));
  } catch (error) {
    throw new PayloadError(
      `${what} is not valid JSON: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new PayloadError(
      `${what} must be a JSON object, got ${jsonType(value)}`,
    );
  }
  return value as JsonObject;
}

export function stringField(
  object: JsonObject,
  field: string,
  what: string,
): string {
  const value = object[field];
  if (typeof value !== "string") {
    throw new PayloadError(
      `${what} field "${field}" must be a string, got ${jsonType(value)}`,
    );
  }
  return value;
}

export function nonNegativeIntegerField(
  object: JsonObject,
  field: string,
  what: string,
): number {
  const value = object[field];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new PayloadError(
      `${what} field "${field}" must be a non-negative integer, got ${
        typeof value === "number" ? value : jsonType(value)
      }`,
    );
  }
  return value;
}

export function oneOfField<T extends string>(
  object: JsonObject,
  field: string,
  allowed: readonly T[],
  what: string,
): T {
  const value = stringField(object, field, what);
  if (!(allowed as readonly string[]).includes(value)) {
    throw new PayloadError(
      `${what} field "${field}" must be one of ${
        allowed.map((a) => `"${a}"`).join(", ")
      }, got ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

export function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value === undefined) return "nothing";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

// Shared and frozen: an empty body (every ping) costs no allocation.
const NO_FIELDS: JsonObject = Object.freeze({});

/** What {@linkcode requestObject} calls a request of `verb` in messages. */
export function requestLabel(verb: string): string {
  return `"${verb}" request`;
}

/**
 * The JSON object of a request body for `verb`: an empty or blank body is
 * `{}` (no fields); a body whose `verb` field differs from `verb` is
 * rejected.
 */
export function requestObject(data: Uint8Array, verb: string): JsonObject {
  if (isBlank(data)) return NO_FIELDS;
  const what = requestLabel(verb);
  const object = parseJsonObject(data, what);
  if ("verb" in object && object.verb !== verb) {
    throw new PayloadError(
      `${what} field "verb" must match the subject's verb "${verb}", got ${
        typeof object.verb === "string"
          ? JSON.stringify(object.verb)
          : jsonType(object.verb)
      }`,
    );
  }
  return object;
}

/** A string field of at least one and at most `maxLength` characters. */
export function nonEmptyStringField(
  object: JsonObject,
  field: string,
  what: string,
  maxLength: number,
): string {
  const value = stringField(object, field, what);
  if (value.length === 0) {
    throw new PayloadError(`${what} field "${field}" must not be empty`);
  }
  if (value.length > maxLength) {
    throw new PayloadError(
      `${what} field "${field}" must have at most ${maxLength} characters, got ${value.length}`,
    );
  }
  return value;
}

/** An optional boolean field: `undefined` when absent (or `null`). */
export function optionalBooleanField(
  object: JsonObject,
  field: string,
  what: string,
): boolean | undefined {
  const value = object[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") {
    throw new PayloadError(
      `${what} field "${field}" must be true or false, got ${
        describeValue(value)
      }`,
    );
  }
  return value;
}

/** An optional integer field of at least `min` (0 or 1). */
export function optionalIntegerField(
  object: JsonObject,
  field: string,
  what: string,
  min: 0 | 1,
): number | undefined {
  const value = object[field];
  if (value === undefined || value === null) return undefined;
  if (
    typeof value !== "number" || !Number.isSafeInteger(value) || value < min
  ) {
    throw new PayloadError(
      `${what} field "${field}" must be a ${
        min === 0 ? "non-negative" : "positive"
      } integer, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** A value as messages quote it: strings and numbers as JSON, else its type. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  }
  if (typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  return jsonType(value);
}

/** Whether `data` is empty or only JSON whitespace. */
export function isBlank(data: Uint8Array): boolean {
  return data.every((byte) =>
    byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d
  );
}
