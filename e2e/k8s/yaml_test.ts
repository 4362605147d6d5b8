import assert from "node:assert/strict";
import { toYaml } from "./yaml.ts";
import { manifestList } from "./manifests.ts";
import { sampleManifests } from "./_test_stack.ts";

Deno.test("toYaml() writes one --- document per object, each the object's JSON", () => {
  const objects = manifestList(sampleManifests());
  const yaml = toYaml(objects);
  assert.ok(yaml.startsWith("---\n"));
  assert.ok(yaml.endsWith("}\n"));
  const documents = yaml.split(/^---\n/m).slice(1);
  assert.equal(documents.length, objects.length);
  documents.forEach((document, i) => {
    assert.deepEqual(
      JSON.parse(document),
      JSON.parse(JSON.stringify(objects[i])),
    );
  });
});

Deno.test("toYaml() keeps strings that YAML 1.1 would retype as strings, and multi-line text exact", () => {
  const object = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "x" },
    data: {
      mode: "0755",
      answer: "no",
      number: "1e3",
      text: "a: b\n---\n# c\n",
    },
  };
  const [document] = toYaml([object]).split(/^---\n/m).slice(1);
  assert.deepEqual(JSON.parse(document), object);
});

Deno.test("toYaml() of no objects is empty", () => {
  assert.equal(toYaml([]), "");
});
