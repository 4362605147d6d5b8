/**
 * A multi-document YAML stream of Kubernetes objects, for `kubectl apply -f -`
 * and `podman kube play`.
 *
 * @module
 */

/** Anything that serialises to a Kubernetes object (`kubernetes-models` objects do, through `toJSON()`). */
export type ManifestObject = { toJSON(): unknown } | Record<string, unknown>;

/**
 * Serialises `objects` as one multi-document YAML stream: each object as
 * JSON (JSON is YAML, so no YAML library is needed and no value can be
 * mis-typed: `"0755"`, `"no"` or `"1e3"` stay strings), documents
 * separated by `---`. `podman kube play` 4.3.1 reads it (checked), as does
 * `kubectl apply -f -`.
 *
 * @example
 * ```ts
 * import { toYaml } from "./yaml.ts";
 * toYaml([{ apiVersion: "v1", kind: "Namespace", metadata: { name: "e2e-1a2b3c4d" } }]);
 * // '---\n{\n  "apiVersion": "v1",\n …}\n'
 * ```
 */
export function toYaml(objects: readonly ManifestObject[]): string {
  return objects
    .map((object) => `---\n${JSON.stringify(object, null, 2)}\n`)
    .join("");
}
