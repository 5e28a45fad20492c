// Real services for the test suite, started by jest's globalSetup (plain JS: jest loads it
// outside its transform). Each returns its address and a stop function.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms`);
}

/** moto_server: an S3-compatible server (PyPI), on a free loopback port. */
export async function startMoto() {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    // A deadline, not a wait: moto_server answers within seconds on a quiet machine, far later at a load of 24.
    await waitFor(async () => (await fetch(`${endpoint}/moto-api/`)).ok, 120_000, 'moto_server');
  } catch (error) {
    child.kill();
    throw new Error(`${error.message}\n${stderr}`);
  }
  return { endpoint, stop: () => stopChild(child) };
}

/** Kills a service and waits for it, so jest exits without dangling handles. */
export async function stopChild(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
  child.stderr?.destroy();
}

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const kafkaDir = fileURLToPath(new URL('./kafka/', import.meta.url));

/** Where install.sh put the broker's jars (the version comes from the pom, so they cannot drift). */
export function kafkaLibs() {
  const pom = readFileSync(path.join(kafkaDir, 'pom.xml'), 'utf8');
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
  const libs = path.join(repoRoot, '.cache', 'kafka', `libs-${version}`);
  if (!existsSync(path.join(libs, '.complete'))) {
    throw new Error(`Apache Kafka ${version} is not installed in ${libs}: run bash test/services/install.sh`);
  }
  return libs;
}

/** A KRaft cluster id: 16 random bytes, base64url without padding (Kafka's Uuid text form). It may start with "-", so pass it as `--cluster-id=<id>`, never as a separate argument. */
function clusterId() {
  return randomBytes(16).toString('base64url');
}

function brokerProperties({ port, controllerPort, logDir }) {
  return [
    // One JVM is both the KRaft controller and the broker.
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${logDir}`,
    'num.partitions=3',
    'auto.create.topics.enable=true',
    // Single node: internal topics cannot have more replicas than brokers.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    // One partition each instead of 50: creating them is most of a consumer group's first join.
    'offsets.topic.num.partitions=1',
    'transaction.state.log.num.partitions=1',
    'group.initial.rebalance.delay.ms=0',
    // A restarted broker can register only once the controller gave up its previous session
    // (DUPLICATE_BROKER_REGISTRATION until then): 1.5 s instead of 9 s keeps restarts quick.
    'broker.heartbeat.interval.ms=500',
    'broker.session.timeout.ms=1500',
    '',
  ].join('\n');
}

/** Small heap, serial GC and C1 only: the broker starts in a few seconds on a shared 2-core box. */
/**
 * How long a JVM may take to start the broker: ~5 s on a quiet machine; 60 s was not enough at a
 * load of 24 on 2 cores (jest's global setup failed before any test ran). A deadline, not a wait.
 */
const KAFKA_START_MS = 180_000;

const JVM_OPTIONS = ['-Xms64m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true'];

/**
 * A single-node Apache Kafka broker (KRaft, no ZooKeeper) on free loopback ports, with its log in
 * a fresh temporary folder. `stop()` ends the JVM (SIGKILL by default: a crash, or SIGTERM for a
 * clean shutdown) and keeps the log; `start()` brings the same broker back on the same port;
 * `destroy()` stops it and removes the folder.
 */
export async function startKafka({ jvmOptions = JVM_OPTIONS } = {}) {
  const libs = kafkaLibs();
  const dir = await mkdtemp(path.join(tmpdir(), 'shutter-kafka-'));
  const port = await freePort();
  const controllerPort = await freePort();
  const properties = path.join(dir, 'server.properties');
  await writeFile(properties, brokerProperties({ port, controllerPort, logDir: path.join(dir, 'log') }));
  const java = ['-cp', `${libs}/*`, `-Dlog4j.configuration=file:${path.join(kafkaDir, 'log4j.properties')}`, ...jvmOptions];
  await run('java', [...java, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId()}`, '-c', properties]);

  let child;
  let stderr = '';
  const start = async () => {
    stderr = '';
    child = spawn('java', [...java, 'kafka.Kafka', properties], { stdio: ['ignore', 'ignore', 'pipe'] });
    const started = new Promise((resolve, reject) => {
      child.stderr.on('data', (chunk) => {
        stderr = (stderr + chunk.toString()).slice(-8000);
        if (stderr.includes('Kafka Server started')) resolve();
      });
      child.once('exit', (code, signal) => reject(new Error(`the Kafka broker exited (${signal ?? code}) before it started`)));
    });
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`the Kafka broker did not start within ${KAFKA_START_MS / 1000} s`)), KAFKA_START_MS).unref());
    try {
      await Promise.race([started, timeout]);
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`${error.message}\n${stderr}`);
    }
  };
  const stop = async (signal = 'SIGKILL') => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };
  await start();
  return {
    brokers: `127.0.0.1:${port}`,
    start,
    stop,
    destroy: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.at(-5)} failed (${code}):\n${output}`))));
  });
}
