import assert from "node:assert/strict";
import { ChunkedDecoder } from "./_chunked.ts";
import { bodyDecoder } from "./_http_body.ts";
import { HttpFramingError } from "./_http_error.ts";
import { parseResponseHead } from "./_response_head.ts";

const encoder = new TextEncoder();

function head(status: number, fields: string[] = []) {
  return parseResponseHead(
    [`HTTP/1.1 ${status} X`, ...fields].join("\r\n"),
  );
}

function text(parts: Uint8Array[]): string {
  return parts.map((part) => new TextDecoder().decode(part)).join("");
}

Deno.test("bodyDecoder() reads a Content-Length body split at every byte, and ignores bytes after it", () => {
  const bytes = encoder.encode('{"message":"no such container"}NEXT');
  const length = bytes.length - 4;
  for (let cut = 0; cut <= bytes.length; cut++) {
    const body = bodyDecoder(head(404, [`Content-Length: ${length}`]));
    const parts = [
      ...body.push(bytes.subarray(0, cut)),
      ...body.push(bytes.subarray(cut)),
    ];
    assert.equal(text(parts), '{"message":"no such container"}', `${cut}`);
    assert.ok(body.done);
    body.end();
  }
});

Deno.test("bodyDecoder() throws HttpFramingError when a Content-Length body ends short", () => {
  const body = bodyDecoder(head(200, ["Content-Length: 10"]));
  body.push(encoder.encode("abc"));
  assert.equal(body.done, false);
  assert.throws(() => body.end(), (error) => {
    assert.ok(error instanceof HttpFramingError);
    assert.match(error.message, /it ended after 3 of 10 bytes/);
    return true;
  });
});

Deno.test("bodyDecoder() takes repeated equal Content-Length values and refuses bad ones", () => {
  const body = bodyDecoder(head(200, ["Content-Length: 2, 2"]));
  assert.equal(text(body.push(encoder.encode("okay"))), "ok");
  for (const value of ["2, 3", "abc", "-1", "", "1e3", "0x10"]) {
    assert.throws(
      () => bodyDecoder(head(200, [`Content-Length: ${value}`])),
      (error) => {
        assert.ok(error instanceof HttpFramingError, value);
        assert.match(error.message, /a bad Content-Length/);
        return true;
      },
    );
  }
});

Deno.test("bodyDecoder() decodes chunked when it is the last transfer coding, even with a Content-Length", () => {
  for (
    const fields of [
      ["Transfer-Encoding: chunked"],
      ["Transfer-Encoding: CHUNKED"],
      ["Transfer-Encoding: gzip, chunked"],
      ["Transfer-Encoding: gzip", "Transfer-Encoding: chunked"],
      ["Content-Length: 3", "Transfer-Encoding: chunked"],
    ]
  ) {
    const body = bodyDecoder(head(200, fields));
    assert.ok(body instanceof ChunkedDecoder, fields.join(" "));
    assert.equal(text(body.push(encoder.encode("5\r\nhello\r\n"))), "hello");
  }
});

Deno.test("bodyDecoder() reads to the end of the connection without a length (or with a final coding other than chunked)", () => {
  for (const fields of [[], ["Transfer-Encoding: gzip"]]) {
    const body = bodyDecoder(head(200, fields));
    assert.equal(text(body.push(encoder.encode("all "))), "all ");
    assert.equal(text(body.push(encoder.encode("of it"))), "of it");
    assert.equal(body.done, false);
    body.end();
    assert.equal(body.done, true);
  }
});

Deno.test("bodyDecoder() gives 1xx, 204 and 304 answers no body", () => {
  for (const status of [100, 101, 204, 304]) {
    const body = bodyDecoder(head(status, ["Content-Length: 5"]));
    assert.equal(body.done, true);
    assert.deepEqual(body.push(encoder.encode("hello")), []);
    body.end();
  }
});
