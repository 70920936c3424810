/** CRI `runtime.v1` over gRPC: the `RuntimeService` port for containerd, CRI-O and the embedded runtime. */
export {
  CriRuntimeService,
  DEFAULT_CALL_TIMEOUT_MS,
  mapContainerState,
  type CriRuntimeServiceOptions,
  type RuntimeVersion,
} from './cri-runtime-service.js';
export {
  EXAMPLE_ENDPOINT,
  MAX_UNIX_PATH_BYTES,
  RUNTIME_ENDPOINT_ENV,
  parseRuntimeEndpoint,
  resolveRuntimeEndpoint,
  type EndpointSources,
  type RuntimeEndpoint,
} from '../../units/endpoint.js';
export {
  DEFAULT_INITIAL_RECONNECT_BACKOFF_MS,
  DEFAULT_MAX_RECONNECT_BACKOFF_MS,
  PROTO_LOADER_OPTIONS,
  RUNTIME_PROTO_PATH,
  channelArguments,
  loadRuntimeV1,
  type ChannelOptions,
  type RuntimeV1Package,
} from './grpc-client.js';
export { grpcStatusName, mapGrpcError, type CallContext } from './grpc-errors.js';
export type * from './messages.js';
