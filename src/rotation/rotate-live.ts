import path from 'node:path';
import { CrilogError } from '../errors/crilog-error.js';
import { errnoCode, type FileSystem } from '../ports/file-system.js';
import type { Clock } from '../ports/clock.js';
import type { RuntimeService } from '../ports/runtime-service.js';
import { crashPoint } from './crash-point.js';
import { moveNoReplace } from './move-no-replace.js';
import { nextKey, rotatedPath, type RotationKey } from './naming.js';

/**
 * What became of the renamed file after a failed reopen: moved back to the live name, kept as history
 * because the runtime had already made a new live file, or stuck under its rotated name (`undoError`).
 */
export type RotationUndo = 'moved-back' | 'kept-as-history' | 'failed';

const UNDO_TEXT: Record<RotationUndo, string> = {
  'moved-back': 'the log was moved back to its live name',
  'kept-as-history': 'a new live log exists, so the renamed file stays as history',
  failed: 'moving the log back failed too',
};

/** A failed rotation; `step` tells a rename failure (nothing changed) from a reopen failure (undone). */
export class RotationError extends CrilogError {
  constructor(
    readonly step: 'rename' | 'reopen',
    message: string,
    options: ErrorOptions & { undo?: RotationUndo; undoError?: unknown },
  ) {
    super('ERR_ROTATION', message, options);
    this.undo = options.undo;
    this.undoError = options.undoError;
  }

  /** After a reopen failure: what became of the renamed file. */
  readonly undo: RotationUndo | undefined;
  /** Why moving it back failed (`undo` is `failed`), or the rotated name it left behind. */
  readonly undoError: unknown;
}

/** What `rotateLive` needs from its surroundings. */
export interface RotateLiveDeps {
  fs: FileSystem;
  clock: Clock;
  runtime: RuntimeService;
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
    const { undo, undoError } = await renameBack(deps, target, logPath);
    crashPoint('after-rename-back');
    throw new RotationError(
      'reopen',
      `failed to reopen the log of container "${id}" after renaming it to "${target}"; ${UNDO_TEXT[undo]}`,
      { cause, undo, undoError },
    );
  }
  crashPoint('after-reopen');
  // Durability of the rename is not needed for safety (a lost rename only undoes the rotation), so the
  // directory is synced off the critical path of a fast writer.
  deps.fs.fsyncDir(path.dirname(logPath)).catch(() => {});
  return target;
}

/**
 * Moves a rotated file back to the live name without ever replacing an existing live file. Never
 * throws: the caller reports the outcome with the reopen failure (the library logs nothing itself).
 */
async function renameBack(
  deps: RotateLiveDeps,
  rotated: string,
  logPath: string,
): Promise<{ undo: RotationUndo; undoError?: unknown }> {
  try {
    await deps.fs.link(rotated, logPath);
  } catch (err) {
    return errnoCode(err) === 'EEXIST' ? { undo: 'kept-as-history' } : { undo: 'failed', undoError: err };
  }
  crashPoint('after-link-back');
  try {
    await deps.fs.unlink(rotated);
  } catch (err) {
    // The data is under the live name again; only a second name for it is left behind.
    return {
      undo: 'moved-back',
      undoError: new Error(`moved the log back but could not remove "${rotated}"`, { cause: err }),
    };
  }
  return { undo: 'moved-back' };
}
