import path from 'node:path';
import { CrilogError } from '../errors/crilog-error.js';
import { errnoCode, type FileSystem } from '../ports/file-system.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { RuntimeService } from '../ports/runtime-service.js';
import { crashPoint } from './crash-point.js';
import { moveNoReplace } from './move-no-replace.js';
import { nextKey, rotatedPath, type RotationKey } from './naming.js';

/** A failed rotation; `step` tells a rename failure (nothing changed) from a reopen failure (undone). */
export class RotationError extends CrilogError {
  constructor(
    readonly step: 'rename' | 'reopen',
    message: string,
    options: ErrorOptions,
  ) {
    super('ERR_ROTATION', message, options);
  }
}

/** What `rotateLive` needs from its surroundings. */
export interface RotateLiveDeps {
  fs: FileSystem;
  clock: Clock;
  runtime: RuntimeService;
  logger: Logger;
}

/**
 * Renames the live log to the next rotated name and asks the runtime to reopen it. Until the reopen
 * succeeds the runtime keeps writing to the renamed file, so nothing is lost in between. When the reopen
 * fails the file is moved back, unless the runtime already made a new live file: then the renamed file
 * simply stays as history rather than clobbering newer data.
 *
 * @param keys every rotation-like name in the directory, so the new name sorts after all of them.
 * @returns the rotated path.
 */
export async function rotateLive(
  deps: RotateLiveDeps,
  id: string,
  logPath: string,
  keys: readonly RotationKey[],
): Promise<string> {
  const taken = [...keys];
  let target = '';
  for (let attempt = 0; ; attempt++) {
    const key = nextKey(deps.clock.now(), taken);
    target = rotatedPath(logPath, key);
    try {
      await moveNoReplace(deps.fs, logPath, target);
      break;
    } catch (cause) {
      // A name made since the directory was listed is never replaced: the next free one is taken.
      if (errnoCode(cause) === 'EEXIST' && attempt < 3) {
        taken.push(key);
        continue;
      }
      throw new RotationError('rename', `failed to rename "${logPath}" to "${target}"`, { cause });
    }
  }
  crashPoint('after-rename');
  try {
    await deps.runtime.reopenContainerLog(id);
  } catch (cause) {
    await renameBack(deps, id, target, logPath);
    crashPoint('after-rename-back');
    throw new RotationError(
      'reopen',
      `failed to reopen the log of container "${id}" after renaming it to "${target}"`,
      {
        cause,
      },
    );
  }
  crashPoint('after-reopen');
  // Durability of the rename is not needed for safety (a lost rename only undoes the rotation), so the
  // directory is synced off the critical path of a fast writer.
  deps.fs.fsyncDir(path.dirname(logPath)).catch(() => {});
  return target;
}

/** Moves a rotated file back to the live name without ever replacing an existing live file. */
async function renameBack(deps: RotateLiveDeps, id: string, rotated: string, logPath: string): Promise<void> {
  try {
    await deps.fs.link(rotated, logPath);
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') {
      deps.logger.warn(
        { id, path: logPath, rotated },
        'reopen failed but a new live log exists; keeping the rotated file as history',
      );
    } else {
      deps.logger.error(
        { id, path: logPath, rotated, err },
        'reopen failed and the rotated log could not be moved back',
      );
    }
    return;
  }
  crashPoint('after-link-back');
  try {
    await deps.fs.unlink(rotated);
  } catch (err) {
    deps.logger.error({ id, path: rotated, err }, 'moved the log back but could not remove its rotated name');
  }
}
