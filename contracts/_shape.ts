// Small structural checks shared by the codecs. Each returns the checked
// value or throws PayloadError naming the field and what was expected.
import { PayloadError } from "./payload_error.ts";

export type JsonObject = Record<string, unknown>;

export function parseJsonObject(data: Uint8Array, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(data));
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
