import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { RuntimeEndpoint } from '../../units/endpoint.js';

/**
 * The `.proto` shipped in the package's `proto/` folder. This module sits three levels below the
 * package root both as `src/runtime/cri/*.ts` (vitest) and as `dist/runtime/cri/*.js` (after tsc).
 */
export const RUNTIME_PROTO_PATH = fileURLToPath(new URL('../../../proto/runtime-v1.proto', import.meta.url));

/**
 * How messages look in JS: snake_case field names as in the proto, enums as their names,
 * int64 as strings (nanosecond timestamps do not fit a double), unset fields filled with defaults.
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** First reconnect delay; with the maximum below, a runtime that starts after crilog is found within ~0.6 s. */
export const DEFAULT_INITIAL_RECONNECT_BACKOFF_MS = 100;
/** Reconnect delay ceiling (grpc-js defaults to 120 s, which hides a restarted runtime for minutes). */
export const DEFAULT_MAX_RECONNECT_BACKOFF_MS = 500;

/** Knobs of the gRPC channel. */
export interface ChannelOptions {
  /** First retry delay after a failed connect. Default 100 ms (grpc-js: 1 s). */
  initialReconnectBackoffMs?: number;
  /** Ceiling of the retry delay. Default 500 ms (grpc-js: 120 s, which hides a restarted runtime for minutes). */
  maxReconnectBackoffMs?: number;
  /** Use another copy of the proto (tests). */
  protoPath?: string;
}

/** The `runtime.v1` package as grpc-js service constructors. */
export interface RuntimeV1Package {
  RuntimeService: grpc.ServiceClientConstructor;
}

const loaded = new Map<string, RuntimeV1Package>();

/** Loads (once per path) the CRI proto and returns its `runtime.v1` package. */
export function loadRuntimeV1(protoPath: string = RUNTIME_PROTO_PATH): RuntimeV1Package {
  let pkg = loaded.get(protoPath);
  if (pkg) return pkg;
  let def: protoLoader.PackageDefinition;
  try {
    def = protoLoader.loadSync(protoPath, PROTO_LOADER_OPTIONS);
  } catch (err) {
    throw new Error(`failed to load the CRI proto "${protoPath}"`, { cause: err });
  }
  const root = grpc.loadPackageDefinition(def) as unknown as { runtime: { v1: RuntimeV1Package } };
  pkg = root.runtime.v1;
  loaded.set(protoPath, pkg);
  return pkg;
}

/** The channel arguments crilog dials with. */
export function channelArguments(opts: ChannelOptions = {}): grpc.ChannelOptions {
  const initial = opts.initialReconnectBackoffMs ?? DEFAULT_INITIAL_RECONNECT_BACKOFF_MS;
  const max = Math.max(initial, opts.maxReconnectBackoffMs ?? DEFAULT_MAX_RECONNECT_BACKOFF_MS);
  return {
    'grpc.initial_reconnect_backoff_ms': initial,
    'grpc.max_reconnect_backoff_ms': max,
    // CRI responses carry whole container lists; the 4 MiB default is tight on a busy node.
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
  };
}

/** Creates a `RuntimeService` client for the endpoint. The channel connects lazily, on the first call. */
export function createRuntimeClient(endpoint: RuntimeEndpoint, opts: ChannelOptions = {}): grpc.Client {
  const { RuntimeService } = loadRuntimeV1(opts.protoPath);
  return new RuntimeService(endpoint.target, grpc.credentials.createInsecure(), channelArguments(opts));
}

/** A unary call as a promise, with a deadline. */
export function unaryCall<Res>(
  client: grpc.Client,
  method: string,
  request: object,
  timeoutMs: number,
): Promise<Res> {
  const fn = (client as unknown as Record<string, unknown>)[method];
  if (typeof fn !== 'function') {
    return Promise.reject(new Error(`the CRI proto has no RuntimeService method "${method}"`));
  }
  return new Promise<Res>((resolve, reject) => {
    fn.call(
      client,
      request,
      { deadline: Date.now() + timeoutMs },
      (err: grpc.ServiceError | null, res: Res) => {
        if (err) reject(err);
        else resolve(res);
      },
    );
  });
}

/**
 * A unary call whose response is handed over as the undecoded message bytes, for callers that decode
 * only what they need (see `splitListedContainers`). The request is encoded as for `unaryCall`.
 */
export function rawUnaryCall(
  client: grpc.Client,
  method: string,
  request: object,
  timeoutMs: number,
): Promise<Buffer> {
  let def: grpc.MethodDefinition<object, unknown>;
  try {
    def = methodOf(client, method);
  } catch (err) {
    return Promise.reject(err as Error);
  }
  return new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest<object, Buffer>(
      def.path,
      def.requestSerialize,
      (bytes) => bytes,
      request,
      { deadline: Date.now() + timeoutMs },
      (err, res) => {
        if (err) reject(err);
        else resolve(res!);
      },
    );
  });
}

/** Decodes a method's response bytes as `unaryCall` would have. */
export function decodeResponse<Res>(client: grpc.Client, method: string, bytes: Buffer): Res {
  return methodOf(client, method).responseDeserialize(bytes) as Res;
}

/** The proto's definition of one method of the client's service. */
function methodOf(client: grpc.Client, method: string): grpc.MethodDefinition<object, unknown> {
  const def = (client.constructor as grpc.ServiceClientConstructor).service?.[method];
  if (!def) throw new Error(`the CRI proto has no RuntimeService method "${method}"`);
  return def as grpc.MethodDefinition<object, unknown>;
}
