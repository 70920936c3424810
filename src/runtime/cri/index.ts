/** CRI `runtime.v1` over gRPC: the `RuntimeService` port for containerd, CRI-O and the embedded runtime. */
export {
  CriRuntimeService,
  DEFAULT_CALL_TIMEOUT_MS,
  type CriRuntimeServiceOptions,
  type RuntimeVersion,
} from './cri-runtime-service.js';
export {
  RUNTIME_ENDPOINT_ENV,
  parseRuntimeEndpoint,
  resolveRuntimeEndpoint,
  type EndpointSources,
  type RuntimeEndpoint,
} from '../../units/endpoint.js';
export type { ChannelOptions } from './grpc-client.js';
export type * from './messages.js';
