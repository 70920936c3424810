import { Option, type Command } from 'commander';
import { InvalidOptionError, RuntimeUnavailableError } from '../../errors/crilog-error.js';
import { collectUsage, type UsageReport } from '../../daemon/usage/collect-usage.js';
import { addConfigOptions, configFromOptions, type ConfigOptionValues } from '../config-options.js';
import type { CliContext } from '../context.js';
import { renderUsage } from '../format/usage-table.js';
import { withRuntime } from '../one-shot.js';

/** Fetches a running daemon's `GET /status`. */
export async function fetchDaemonUsage(ctx: CliContext, base: string): Promise<UsageReport> {
  const root = /^[a-z]+:\/\//i.test(base) ? base : `http://${base}`;
  let url: URL;
  try {
    url = new URL('/status', root);
  } catch {
    throw new InvalidOptionError({
      key: '--daemon',
      value: base,
      rule: 'must be a URL',
      hint: "use the daemon's metrics address, e.g. http://127.0.0.1:9753",
    });
  }
  let res: Response;
  try {
    res = await ctx.fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (cause) {
    throw new RuntimeUnavailableError(
      `cannot reach the crilog daemon at ${url.origin}: ${(cause as Error).cause instanceof Error ? ((cause as Error).cause as Error).message : (cause as Error).message}; is it running with --metrics-address ${url.host}?`,
      { cause },
    );
  }
  const body = await res.text();
  if (!res.ok) {
    let why = body.trim();
    try {
      why = (JSON.parse(body) as { error?: string }).error ?? why;
    } catch {
      // Not JSON: keep the text.
    }
    throw new RuntimeUnavailableError(`the crilog daemon at ${url.origin} answered ${res.status}: ${why}`);
  }
  return JSON.parse(body) as UsageReport;
}

/** `crilog status`: per-container log state, from the runtime and files or from a running daemon. */
export function registerStatusCommand(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('status')
    .description(
      'show each container: state, live size against the limit, rotated files, bytes on disk, compression ratio, last rotation',
    )
    .option(
      '--daemon <url>',
      "show a running daemon's view (its metrics address, e.g. http://127.0.0.1:9753) instead of asking the runtime",
    )
    .addOption(
      new Option('-o, --output <format>', 'table or json').choices(['table', 'json']).default('table'),
    );
  addConfigOptions(cmd).action(
    async (opts: ConfigOptionValues & { daemon?: string; output: 'table' | 'json' }) => {
      let report: UsageReport;
      if (opts.daemon !== undefined) {
        report = await fetchDaemonUsage(ctx, opts.daemon);
      } else {
        const config = await configFromOptions(opts, ctx.cwd);
        report = await withRuntime(
          ctx,
          config,
          opts.logLevel !== undefined,
          undefined,
          ({ handle, manager }) =>
            collectUsage({
              runtime: handle.runtime,
              logRoots: config.logRoots,
              maxSize: config.maxSize,
              maxFiles: config.maxFiles,
              policy: (({ policy, bounds }) => ({
                node: policy,
                annotations: config.policyAnnotations,
                bounds,
              }))(manager().options),
            }),
        );
      }
      ctx.stdout.write(opts.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderUsage(report));
    },
  );
}
