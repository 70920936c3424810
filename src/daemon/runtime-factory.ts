import type { DaemonConfig, RuntimeKind } from '../settings/index.js';
import { InvalidOptionError } from '../errors/crilog-error.js';
import type { Logger } from '../ports/logger.js';
import type { RuntimeService } from '../ports/runtime-service.js';
import { resolveRuntimeEndpoint } from '../units/endpoint.js';

/** A runtime made for one command, and how to let go of it. */
export interface RuntimeHandle {
  runtime: RuntimeService;
  /** For logs and status, e.g. `cri unix:///run/containerd/containerd.sock`. */
  description: string;
  /**
   * Checks the runtime answers (CRI `Version`); throws `RuntimeUnavailableError` naming what was tried.
   * Returns a line such as `containerd 1.7.2` for the log.
   */
  probe(): Promise<string>;
  /** Releases it: closes channels, stops the processes of the local runtime. */
  close(): Promise<void>;
}

/** What a factory may use besides the config. */
export interface RuntimeFactoryContext {
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** `true` for commands that run continuously (the local runtime then starts its processes). */
  longRunning: boolean;
}

/** Makes the runtime `--runtime <kind>` names. */
export type RuntimeFactory = (config: DaemonConfig, ctx: RuntimeFactoryContext) => Promise<RuntimeHandle>;

/** A CRI runtime over its unix socket: `--runtime-endpoint`, else `runtimeEndpoint`, else `CONTAINER_RUNTIME_ENDPOINT`. */
export const createCriRuntime: RuntimeFactory = async (config, ctx) => {
  const endpoint = resolveRuntimeEndpoint({
    ...(config.runtimeEndpoint !== null ? { flag: config.runtimeEndpoint } : {}),
    env: ctx.env,
  });
  // The gRPC stack is loaded only by commands that talk to a runtime: it dominates start-up time.
  const { CriRuntimeService } = await import('../runtime/cri/cri-runtime-service.js');
  const service = new CriRuntimeService({ endpoint });
  return {
    runtime: service,
    description: `cri ${endpoint.target}`,
    async probe() {
      const v = await service.connect();
      return `${v.runtimeName} ${v.runtimeVersion} (CRI ${v.runtimeApiVersion})`;
    },
    async close() {
      service.close();
    },
  };
};

/**
 * crilog's embedded runtime: runs the `containers:` of the config as processes logging under the
 * first log root. One-shot commands see the containers but do not start them.
 */
export const createLocalRuntime: RuntimeFactory = async (config, ctx) => {
  const logRoot = config.logRoots[0];
  if (logRoot === undefined)
    throw new InvalidOptionError({
      key: '--log-root',
      rule: 'the local runtime needs a log root',
      hint: 'pass --log-root DIR',
    });
  const { LocalRuntime } = await import('../runtime/local/local-runtime.js');
  const runtime = new LocalRuntime({ logRoot, logger: ctx.logger, stopGracePeriodMs: 3000 });
  for (const spec of config.containers) runtime.add(spec);
  if (ctx.longRunning) await runtime.start();
  return {
    runtime,
    description: `local ${logRoot} (${config.containers.length} container${config.containers.length === 1 ? '' : 's'})`,
    async probe() {
      return 'crilog local runtime';
    },
    async close() {
      await runtime.stopAll();
    },
  };
};

/** The factories by `--runtime` value; tests and embedders may pass their own map. */
export const defaultRuntimeFactories: Readonly<Record<RuntimeKind, RuntimeFactory>> = {
  cri: createCriRuntime,
  local: createLocalRuntime,
};
