// A sample stack for the tests of e2e/k8s (not published).
import { renderStackConfigs } from "./configs.ts";
import { renderStackManifests, type StackManifests } from "./manifests.ts";

export const NAMESPACE = "e2e-1a2b3c4d";
export const ADMIN = { user: "admin", password: "admin-secret-0001" };
export const DEVICES = [
  {
    deviceId: `vm-device-00-${NAMESPACE}`,
    user: `device-vm-device-00-${NAMESPACE}`,
    password: "device-secret-0002",
  },
  {
    deviceId: `Dev_B-${NAMESPACE}`,
    user: `device-Dev_B-${NAMESPACE}`,
    password: "device-secret-0003",
  },
];
export const SECRETS = [ADMIN.password, ...DEVICES.map((d) => d.password)];
export const AGENT_IMAGE = "localhost/harmony-fleet-agent:e2e-0123456789abcdef";
export const NATS_IMAGE = "localhost/harmony-fleet-nats:e2e-0123456789abcdef";

export function sampleManifests(
  options: { agentImage?: string; natsImage?: string; images?: string } = {},
): StackManifests {
  return renderStackManifests({
    namespace: NAMESPACE,
    agentImage: options.agentImage ?? AGENT_IMAGE,
    natsImage: options.natsImage ?? NATS_IMAGE,
    ...renderStackConfigs({
      namespace: NAMESPACE,
      admin: ADMIN,
      devices: DEVICES,
    }),
  });
}
