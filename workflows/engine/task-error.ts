/** What crosses from a task into the interpreter: a name Retry/Catch match and a message, as a Lambda error. */
export class TaskError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}
