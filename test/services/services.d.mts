// Types for the plain-JS service starters, so TypeScript tests can import them.
export interface KafkaBroker {
  /** `127.0.0.1:<port>` */
  brokers: string;
  /** Starts the stopped broker again, on the same port and log. */
  start(): Promise<void>;
  /** Ends the JVM: SIGKILL (a crash) by default, SIGTERM for a clean shutdown. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  destroy(): Promise<void>;
}
export function startKafka(options?: { jvmOptions?: string[] }): Promise<KafkaBroker>;
export function startMoto(): Promise<{ endpoint: string; stop(): void }>;
export function freePort(): Promise<number>;
export function kafkaLibs(): string;
