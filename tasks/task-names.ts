/**
 * Every workflow task, once. A task's name is its Lambda function (`task-<name>`, built from
 * `tasks/<name>.ts`), the function name the state machines invoke, the local engine's binding
 * and the key of its access in `infra/workflow-tasks.ts`. Maps over tasks are typed
 * `Record<TaskName, …>` (see `task-contract.ts`), so adding a name here is a compile error
 * until every place knows the new task.
 */
export const TASK_NAMES = [
  'inspect',
  'moderate',
  'quarantine',
  'smart-crop',
  'render-renditions',
  'publish',
  'handle-failure',
  'list-uploads',
  'start-image-workflow',
] as const;

export type TaskName = (typeof TASK_NAMES)[number];

export function isTaskName(name: string): name is TaskName {
  return (TASK_NAMES as readonly string[]).includes(name);
}
