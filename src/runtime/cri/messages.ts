/**
 * TypeScript shapes of the `runtime.v1` messages crilog reads, as @grpc/proto-loader decodes them
 * with `PROTO_LOADER_OPTIONS` (snake_case, enums as names, int64 as strings, defaults filled in).
 * Requests may leave any field out.
 */

/** `runtime.v1.ContainerState` by name. */
export type CriContainerState =
  'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

/** `runtime.v1.NamespaceMode` by name. */
export type CriNamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';

/** `VersionResponse`. */
export interface CriVersionResponse {
  version: string;
  runtime_name: string;
  runtime_version: string;
  runtime_api_version: string;
}

/** `ContainerMetadata`. */
export interface CriContainerMetadata {
  name: string;
  attempt: number;
}

/** `Container`, one entry of `ListContainersResponse`. */
export interface CriContainer {
  id: string;
  pod_sandbox_id: string;
  metadata: CriContainerMetadata | null;
  state: CriContainerState;
  created_at: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** `ListContainersResponse`. */
export interface CriListContainersResponse {
  containers: CriContainer[];
}

/** `PodSandboxMetadata`. */
export interface CriPodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

/** `PodSandbox`, one entry of `ListPodSandboxResponse` (only what crilog reads). */
export interface CriPodSandbox {
  id: string;
  metadata: CriPodSandboxMetadata | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** `ListPodSandboxResponse`. */
export interface CriListPodSandboxResponse {
  items: CriPodSandbox[];
}

/** `ContainerStatus`. */
export interface CriContainerStatus {
  id: string;
  metadata: CriContainerMetadata | null;
  state: CriContainerState;
  created_at: string;
  started_at: string;
  finished_at: string;
  exit_code: number;
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  log_path: string;
}

/** `ContainerStatusResponse`. */
export interface CriContainerStatusResponse {
  status: CriContainerStatus | null;
  info: Record<string, string>;
}

/** `NamespaceOption`. */
export interface CriNamespaceOption {
  network?: CriNamespaceMode;
  pid?: CriNamespaceMode;
  ipc?: CriNamespaceMode;
  target_id?: string;
}

/** `SecurityProfile` (seccomp) as a request field. */
export interface CriSecurityProfile {
  profile_type?: 'RuntimeDefault' | 'Unconfined' | 'Localhost';
  localhost_ref?: string;
}

/** `PortMapping` as a request field. */
export interface CriPortMapping {
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  container_port?: number;
  host_port?: number;
  host_ip?: string;
}

/** `PodSandboxConfig` as a request field. */
export interface CriPodSandboxConfig {
  metadata: { name: string; uid: string; namespace: string; attempt?: number };
  hostname?: string;
  log_directory?: string;
  port_mappings?: CriPortMapping[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux?: {
    cgroup_parent?: string;
    security_context?: {
      namespace_options?: CriNamespaceOption;
      run_as_user?: { value: number };
      run_as_group?: { value: number };
      readonly_rootfs?: boolean;
      privileged?: boolean;
      seccomp?: CriSecurityProfile;
    };
  };
}

/** `LinuxContainerSecurityContext` as a request field. */
export interface CriLinuxContainerSecurityContext {
  capabilities?: { add_capabilities?: string[]; drop_capabilities?: string[] };
  privileged?: boolean;
  namespace_options?: CriNamespaceOption;
  run_as_user?: { value: number };
  run_as_group?: { value: number };
  readonly_rootfs?: boolean;
  no_new_privs?: boolean;
  seccomp?: CriSecurityProfile;
}

/** `LinuxContainerResources` as a request field (0 or absent: no limit). */
export interface CriLinuxContainerResources {
  cpu_period?: number;
  cpu_quota?: number;
  cpu_shares?: number;
  memory_limit_in_bytes?: number;
}

/** `Mount` as a request field. */
export interface CriMount {
  container_path: string;
  host_path: string;
  readonly?: boolean;
  propagation?: 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';
}

/** `ExecSyncResponse`. */
export interface CriExecSyncResponse {
  stdout: Buffer;
  stderr: Buffer;
  exit_code: number;
}

/** `ContainerConfig` as a request field. */
export interface CriContainerConfig {
  metadata: { name: string; attempt?: number };
  image: { image: string };
  command?: string[];
  args?: string[];
  working_dir?: string;
  envs?: { key: string; value: string }[];
  mounts?: CriMount[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  log_path?: string;
  tty?: boolean;
  linux?: { resources?: CriLinuxContainerResources; security_context?: CriLinuxContainerSecurityContext };
}

/** `PodSandbox`, one entry of `ListPodSandboxResponse`. */
export interface CriPodSandbox {
  id: string;
  metadata: { name: string; uid: string; namespace: string; attempt: number } | null;
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  created_at: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
