import { decodeErrorReply } from "./codecs.ts";
import { ERROR_CODES, ErrorKind } from "./error_kinds.ts";
import { Header } from "./headers.ts";
import { PayloadError } from "./payload_error.ts";

/** Reads one header of a message: its first value, or `undefined`/`""` when absent. */
export type HeaderLookup = (name: string) => string | undefined;

/** An error reply as {@linkcode readErrorReply} reads it. */
export interface ReceivedError {
  /** The error kind: from the body, else from the code. */
  kind: ErrorKind;
  /** The `Nats-Service-Error-Code`, else the kind's code. */
  code: number;
  /** The body's `message`, else the `Nats-Service-Error` header, else `""`. */
  message: string;
}

const KIND_BY_CODE: ReadonlyMap<number, ErrorKind> = new Map(
  (Object.entries(ERROR_CODES) as [ErrorKind, number][]).map((
    [kind, code],
  ) => [code, kind]),
);

/**
 * Reads an error reply (a message with a `Nats-Service-Error-Code`
 * header), leniently, as ADR-32 allows: the JSON body `{kind, message}`
 * when it parses, else the headers alone; a code that names no kind counts
 * as `internal` ("anything else").
 *
 * @example
 * ```ts
 * import { encodeJson, readErrorReply } from "@harmony/fleet/contracts";
 * const headers = new Map([["Nats-Service-Error-Code", "404"]]);
 * readErrorReply((name) => headers.get(name), encodeJson({ kind: "not_found", message: "No container \"web\"" }));
 * // { kind: "not_found", code: 404, message: "No container \"web\"" }
 * ```
 */
export function readErrorReply(
  header: HeaderLookup,
  data: Uint8Array,
): ReceivedError {
  const headerCode = Number.parseInt(header(Header.ServiceErrorCode) ?? "", 10);
  let kind: ErrorKind | undefined;
  let message: string | undefined;
  try {
    const body = decodeErrorReply(data);
    kind = body.kind;
    message = body.message;
  } catch (error) {
    if (!(error instanceof PayloadError)) throw error;
  }
  kind ??= KIND_BY_CODE.get(headerCode) ?? ErrorKind.Internal;
  const code = Number.isSafeInteger(headerCode)
    ? headerCode
    : ERROR_CODES[kind];
  message ??= header(Header.ServiceError) ?? "";
  return { kind, code, message };
}
