import type { Action } from '../schemas/actions.ts';
import type { StepObservation } from '../schemas/observations.ts';
import type { ActionContext } from './context.ts';
import { execAction } from './exec.ts';
import { listFilesAction } from './list-files.ts';
import { patchAction } from './patch.ts';
import { readFileAction } from './read-file.ts';
import { runTestsAction } from './run-tests.ts';
import { searchAction } from './search.ts';

export type { ActionContext } from './context.ts';

/** Runs every action but submit (which grades, and belongs to the episode service). */
export function runAction(ctx: ActionContext, action: Exclude<Action, { type: 'submit' }>): Promise<StepObservation> {
  switch (action.type) {
    case 'read_file':
      return readFileAction(ctx, action);
    case 'list_files':
      return listFilesAction(ctx, action);
    case 'search':
      return searchAction(ctx, action);
    case 'exec':
      return execAction(ctx, action);
    case 'patch':
      return patchAction(ctx, action);
    case 'run_tests':
      return runTestsAction(ctx, action);
  }
}
