/**
 * The end-to-end harness of `@harmony/fleet`: {@linkcode Stack} brings up a
 * local fleet (a nats-server with a generated config and one agent process
 * per device; with `runtime: "podman"` also a podman API service of its own
 * and labelled workload containers, {@linkcode Stack.startContainer}) and
 * tears it down with `await using`; the pieces it is made
 * of (nats-server provisioning, config rendering, server and agent
 * processes) are exported for tests that need them alone; the agent,
 * auth-callout and nats-server images are built from local files with
 * podman ({@linkcode buildAgentImage}, {@linkcode buildCalloutImage},
 * {@linkcode buildNatsImage}).
 *
 * @example
 * ```ts ignore
 * import { Stack } from "@harmony/fleet/e2e";
 * import { FleetCommandsClient } from "@harmony/fleet/operator";
 *
 * await using stack = await Stack.bringUp({ devices: 2 });
 * const client = new FleetCommandsClient(stack.operatorClient);
 * await client.ping(stack.deviceIds[0]);
 * // leaving the scope tears everything down
 * ```
 *
 * @module
 */
export {
  DEVICE_LABEL_KEY,
  FLEET_E2E_AUTH_ENV,
  FLEET_E2E_BACKEND_ENV,
  FLEET_E2E_KEEP_ENV,
  Stack,
  STACK_TOKEN_LIFETIME_S,
  type StackAuth,
  type StackBackend,
  StackBackendError,
  StackBringUpError,
  type StackContainer,
  StackContainerError,
  type StackOptions,
  type StackRuntime,
  type StartContainerOptions,
  type StopContainerOptions,
} from "./stack.ts";
export type { PodmanRun } from "../testing/podman_service.ts";
export {
  AGENT_IMAGE_CONFIG_PATH,
  AGENT_IMAGE_REPOSITORY,
  AGENT_PERMISSION_FLAGS,
  agentImageEntrypoint,
  buildAgentImage,
  type BuildAgentImageOptions,
  buildCalloutImage,
  type BuildCalloutImageOptions,
  buildNatsImage,
  type BuildNatsImageOptions,
  CALLOUT_IMAGE_CONFIG_PATH,
  CALLOUT_IMAGE_REPOSITORY,
  CALLOUT_PERMISSION_FLAGS,
  calloutImageEntrypoint,
  FORCE_REBUILD_ENV,
  IMAGE_USER,
  ImageBuildError,
  type ImagePodman,
  type LocalImage,
  NATS_IMAGE_CONFIG_PATH,
  NATS_IMAGE_REPOSITORY,
} from "./images.ts";
export {
  type AgentExecOptions,
  AgentProcess,
  type AgentProcessOptions,
  type AgentRuntimeOptions,
  AgentStartError,
  type AgentTokenFile,
  renderAgentConfig,
} from "../testing/agent_process.ts";
export {
  findNatsServer,
  type FindNatsServerOptions,
  fleetCacheDir,
  NATS_SERVER_BIN_ENV,
  NatsServerNotFoundError,
} from "../testing/nats_server_binary.ts";
export {
  type Credentials,
  type DeviceUser,
  type NatsServerClusterOptions,
  type NatsServerConfigOptions,
  type NatsServerTlsOptions,
  type OperatorUser,
  quoteNatsConfigString,
  renderNatsServerCluster,
  renderNatsServerConfig,
  renderNatsServerTls,
} from "../testing/nats_server_config.ts";
export type {
  CalloutKeys,
  NatsServerCalloutOptions,
} from "../testing/callout_server_config.ts";
export {
  NatsCluster,
  type NatsClusterNode,
  type NatsClusterOptions,
  NatsClusterRouteError,
  type NatsClusterStopOptions,
} from "../testing/nats_cluster.ts";
export {
  NatsServerProcess,
  type NatsServerProcessOptions,
  NatsServerStartError,
} from "../testing/nats_server_process.ts";
export {
  type MockOidcAlgorithm,
  type MockOidcClaims,
  MockOidcIssuer,
  type MockOidcIssuerOptions,
  type MockOidcMintOptions,
  type MockOidcPublicJwk,
  type MockOidcTokenResponse,
} from "../testing/mock_oidc.ts";
export {
  type CalloutLogEvent,
  CalloutProcess,
  type CalloutProcessOptions,
  CalloutStartError,
} from "../testing/callout_process.ts";
