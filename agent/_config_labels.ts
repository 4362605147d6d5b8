// `[agent] labels`: checked with the label syntax of contracts/labels.ts,
// each problem naming its key. Private to agent/.
import {
  type DeviceLabels,
  labelKeyProblem,
  labelValueProblem,
  MAX_DEVICE_LABELS,
} from "../contracts/mod.ts";
import { describe, type Fail, isTable } from "./_config_values.ts";

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** The dotted key of label `name`, quoted as TOML would need it. */
function labelKey(name: string): string {
  return `agent.labels.${BARE_KEY.test(name) ? name : JSON.stringify(name)}`;
}

/**
 * The labels of `[agent] labels` (an inline table or `[agent.labels]`), or
 * `undefined` when the key is absent.
 */
export function labelsConfig(
  value: unknown,
  fail: Fail,
): DeviceLabels | undefined {
  if (value === undefined) return undefined;
  if (!isTable(value)) {
    return fail(
      `key "agent.labels" must be a table of label = "value", got ${
        describe(value)
      }`,
      "agent.labels",
    );
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_DEVICE_LABELS) {
    return fail(
      `key "agent.labels" may hold at most ${MAX_DEVICE_LABELS} labels, got ${entries.length}`,
      "agent.labels",
    );
  }
  const labels: Record<string, string> = {};
  for (const [name, label] of entries) {
    const key = labelKey(name);
    const keyProblem = labelKeyProblem(name);
    if (keyProblem !== undefined) {
      fail(
        `key ${JSON.stringify(key)} is not a valid label key: ${keyProblem}`,
        key,
      );
    }
    if (typeof label !== "string") {
      fail(
        `key ${JSON.stringify(key)} must be a string, got ${describe(label)}`,
        key,
      );
    }
    const valueProblem = labelValueProblem(label);
    if (valueProblem !== undefined) {
      fail(
        `key ${JSON.stringify(key)} is not a valid label value (${
          JSON.stringify(label)
        }): ${valueProblem}`,
        key,
      );
    }
    labels[name] = label as string;
  }
  return labels;
}
