/**
 * The composition root: picks each port's adapter from config. The only module that knows
 * which adapters exist; AWS SDK clients are created here and nowhere else.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import path from 'node:path';
import { S3Storage } from './adapters/aws/s3-storage.js';
import { SecretsManagerSecrets } from './adapters/aws/secrets-manager-secrets.js';
import { AttentionAnalyzer } from './adapters/local/attention-analyzer.js';
import { FileSecrets } from './adapters/local/file-secrets.js';
import { FsStorage } from './adapters/local/fs-storage.js';
import { JsonlEventSink } from './adapters/local/jsonl-event-sink.js';
import type { Config } from './config.js';
import { setLogLevel } from './observability/logger.js';
import { configureSharp } from './pipeline/sharp-factory.js';
import type { Analyzer } from './ports/analyzer.js';
import type { EventSink } from './ports/event-sink.js';
import type { Secrets } from './ports/secrets.js';
import type { Storage } from './ports/storage.js';
import type { WorkflowEngine } from './ports/workflow-engine.js';
import { SfnWorkflowEngine } from './adapters/aws/sfn-workflow-engine.js';
import { SFNClient } from '@aws-sdk/client-sfn';
import { loadPresets, type PresetCatalog } from './presets.js';
import { loadRenditionSets, type RenditionSets } from './renditions.js';

export interface Platform {
  config: Readonly<Config>;
  storage: Storage;
  analyzer: Analyzer;
  secrets: Secrets;
  presets: Readonly<PresetCatalog>;
  /** Where workflow events go. */
  events: EventSink;
  /** The bulk workflow's rendition sets (RENDITIONS_FILE over the built-in `default`). */
  renditions: Readonly<RenditionSets>;
  /**
   * Step Functions, when WORKFLOW_ENGINE is `stepfunctions`. The local engine needs the task
   * functions, so `workflows/local-runtime.ts` builds it over this platform instead.
   */
  workflows?: WorkflowEngine;
}

export function s3Client(config: Pick<Config, 'region' | 's3Endpoint'>): S3Client {
  return new S3Client({
    ...(config.region ? { region: config.region } : {}),
    ...(config.s3Endpoint ? { endpoint: config.s3Endpoint, forcePathStyle: true } : {}),
  });
}

/**
 * Builds the platform from config. `overrides` lets a caller (a test, or a command that owns
 * another adapter) pass an adapter in place of the one config would pick.
 */
export function createPlatform(config: Readonly<Config>, overrides: Partial<Omit<Platform, 'config'>> = {}): Platform {
  configureSharp({ concurrency: config.sharpConcurrency });
  setLogLevel(config.logLevel);
  const storage: Storage =
    overrides.storage ?? (config.storage === 's3' ? new S3Storage(s3Client(config)) : new FsStorage(path.join(config.dataDir, 'buckets')));
  const secrets: Secrets =
    overrides.secrets ??
    (config.inLambda
      ? new SecretsManagerSecrets(new SecretsManagerClient(config.region ? { region: config.region } : {}))
      : new FileSecrets(path.join(config.dataDir, 'secrets')));
  // Until the events adapters land (JSON lines by date, Kafka), events go to local JSON lines.
  const events: EventSink = overrides.events ?? new JsonlEventSink(path.join(config.dataDir, 'events'));
  return {
    config,
    storage,
    analyzer: overrides.analyzer ?? new AttentionAnalyzer(),
    secrets,
    presets: overrides.presets ?? loadPresets(config.presetsFile),
    events,
    renditions: overrides.renditions ?? loadRenditionSets(config.workflow.renditionsFile),
    ...(overrides.workflows
      ? { workflows: overrides.workflows }
      : config.workflow.engine === 'stepfunctions' && config.workflow.stateMachineArns.image
        ? { workflows: new SfnWorkflowEngine(new SFNClient(config.region ? { region: config.region } : {}), config.workflow.stateMachineArns) }
        : {}),
  };
}
