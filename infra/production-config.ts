/**
 * The production settings (issue #15), read from CDK context like the platform's
 * (`platform-config.ts`) and validated the same way: every problem reported at once as a
 * {@link ConfigError}. They choose how the platform is run rather than what it does: the edge's
 * guards, the rollout, the budget, the engine, the pipeline and the disaster-recovery Region.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { flag, text, wholeNumber } from './platform-config.js';

/** T-shirt sizes of the Fargate engine, as DIT v8 offers them. */
export const FARGATE_SIZES = ['S', 'M', 'L', 'XL'] as const;
export type FargateSize = (typeof FARGATE_SIZES)[number];

/** CodeDeploy's predefined Lambda configurations shutter offers. */
export const ROLLOUTS = ['Canary10Percent5Minutes', 'Linear10PercentEvery1Minute', 'AllAtOnce'] as const;
export type Rollout = (typeof ROLLOUTS)[number];

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ACCOUNT = /^\d{12}$/;

const ProductionSchema = z.object({
  /** A WAF web ACL on the image distribution (managed rule groups + a rate limit). `No` only on purpose. */
  Waf: flag(true),
  /**
   * Requests one IP may send in 5 minutes before WAF blocks it. 3000 (10/s sustained) stays far
   * above a person browsing image-heavy pages, cache hits included, and well below a scraper.
   */
  WafRateLimit: wholeNumber(3000),
  /** CloudFront Origin Shield in this Region (the stack's, usually): one regional cache in front of the API. */
  OriginShieldRegion: text,
  /** Reserved concurrency of the image handler: the most it runs at once, and what it keeps for itself. */
  ImageHandlerConcurrency: z.union([z.number(), z.string()]).optional(),
  /** A monthly AWS Budgets amount in USD: alert at 80% actual and 100% forecast. 0: no budget. */
  MonthlyBudget: z.union([z.number(), z.string()]).optional(),
  /** Let unsigned URLs ask for Rekognition themselves (smartCrop, contentModeration): ANALYSIS_UNSIGNED. */
  AllowUnsignedAnalysis: flag(false),
  /** How a new version of every function reaches traffic (CodeDeploy). */
  Rollout: text,
  /** `Lambda` (API Gateway + Lambda) or `Fargate` (ALB + ECS Fargate) behind CloudFront. */
  Engine: text,
  FargateSize: text,
  /** CDK Pipelines: dev → staging → (approval) → prod. */
  Pipeline: flag(false),
  /** `owner/repo` on a CodeStar connection, or the name of a CodeCommit repository. */
  PipelineRepository: text,
  PipelineBranch: text,
  /** A CodeStar (CodeConnections) connection ARN; without it the repository is CodeCommit's. */
  PipelineConnectionArn: text,
  /** `account/region` of each stage; a stage left out is not deployed. */
  DevEnv: text,
  StagingEnv: text,
  ProdEnv: text,
  /** A warm standby in a second Region, with replication and origin fail-over. */
  DisasterRecovery: flag(false),
  DrRegion: text,
});

export const PRODUCTION_CONTEXT_KEYS = Object.keys(ProductionSchema.shape);

export interface DeployEnv {
  account: string;
  region: string;
}

export interface ProductionSettings {
  /** Undefined: no WAF (on purpose). */
  waf: { rateLimit: number } | undefined;
  originShieldRegion: string | undefined;
  imageHandlerConcurrency: number | undefined;
  /** USD per month; undefined: no budget. */
  monthlyBudget: number | undefined;
  allowUnsignedAnalysis: boolean;
  rollout: Rollout;
  engine: { kind: 'lambda' } | { kind: 'fargate'; size: FargateSize };
  pipeline:
    | {
        repository: string;
        branch: string;
        connectionArn: string | undefined;
        stages: Array<{ name: 'Dev' | 'Staging' | 'Prod'; env: DeployEnv }>;
      }
    | undefined;
  disasterRecovery: { region: string } | undefined;
}

/**
 * @example
 * const production = parseProductionContext((key) => app.node.tryGetContext(key));
 */
export function parseProductionContext(get: (key: string) => unknown): Readonly<ProductionSettings> {
  const raw = Object.fromEntries(PRODUCTION_CONTEXT_KEYS.map((key) => [key, get(key) ?? undefined]));
  const parsed = ProductionSchema.safeParse(raw);
  if (!parsed.success)
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  const c = parsed.data;
  const problems: string[] = [];

  const optionalCount = (key: string, value: unknown, min: number): number | undefined => {
    if (value === undefined || value === '') return undefined;
    const number = Number(value);
    if (!Number.isSafeInteger(number) || number < min) {
      problems.push(`${key}: expected a whole number of at least ${min}, got "${String(value)}"`);
      return undefined;
    }
    return number;
  };

  // WAF's rate-based rules accept 10 to 2 billion requests per window.
  if (c.WafRateLimit < 10) problems.push(`WafRateLimit: WAF's smallest rate limit is 10, got ${c.WafRateLimit}`);
  if (c.OriginShieldRegion && !REGION.test(c.OriginShieldRegion))
    problems.push(`OriginShieldRegion: "${c.OriginShieldRegion}" is not an AWS Region name`);
  const imageHandlerConcurrency = optionalCount('ImageHandlerConcurrency', c.ImageHandlerConcurrency, 1);
  const budget = optionalCount('MonthlyBudget', c.MonthlyBudget, 0);

  const rollout = (c.Rollout ?? 'Canary10Percent5Minutes') as Rollout;
  if (!ROLLOUTS.includes(rollout)) problems.push(`Rollout: expected one of ${ROLLOUTS.join(', ')}, got "${c.Rollout}"`);

  let engine: ProductionSettings['engine'] = { kind: 'lambda' };
  const engineName = (c.Engine ?? 'Lambda').toLowerCase();
  const size = (c.FargateSize ?? 'M').toUpperCase() as FargateSize;
  if (engineName === 'fargate') {
    if (!FARGATE_SIZES.includes(size)) problems.push(`FargateSize: expected one of ${FARGATE_SIZES.join(', ')}, got "${c.FargateSize}"`);
    engine = { kind: 'fargate', size };
  } else if (engineName !== 'lambda') problems.push(`Engine: expected Lambda or Fargate, got "${c.Engine}"`);
  else if (c.FargateSize) problems.push('FargateSize: only with Engine=Fargate');

  let pipeline: ProductionSettings['pipeline'];
  if (c.Pipeline) {
    if (!c.PipelineRepository) problems.push('PipelineRepository: Pipeline is Yes, so name the repository (owner/repo with PipelineConnectionArn, else a CodeCommit repository)');
    if (c.PipelineConnectionArn && !/^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/.+$/.test(c.PipelineConnectionArn))
      problems.push(`PipelineConnectionArn: "${c.PipelineConnectionArn}" is not a CodeStar connection ARN`);
    const stages: NonNullable<ProductionSettings['pipeline']>['stages'] = [];
    for (const [name, value] of [['Dev', c.DevEnv], ['Staging', c.StagingEnv], ['Prod', c.ProdEnv]] as const) {
      if (!value) continue;
      const [account = '', region = ''] = value.split('/');
      if (!ACCOUNT.test(account) || !REGION.test(region)) problems.push(`${name}Env: expected account/region (123456789012/eu-west-1), got "${value}"`);
      else stages.push({ name, env: { account, region } });
    }
    if (!stages.some((stage) => stage.name === 'Prod')) problems.push('ProdEnv: Pipeline is Yes, so give the production account/region');
    pipeline = { repository: c.PipelineRepository ?? '', branch: c.PipelineBranch ?? 'main', connectionArn: c.PipelineConnectionArn, stages };
  }

  let disasterRecovery: ProductionSettings['disasterRecovery'];
  if (c.DisasterRecovery) {
    if (!c.DrRegion || !REGION.test(c.DrRegion)) problems.push('DrRegion: DisasterRecovery is Yes, so name the standby Region (e.g. us-west-2)');
    else disasterRecovery = { region: c.DrRegion };
  }

  if (problems.length) throw new ConfigError(problems);
  return Object.freeze({
    waf: c.Waf ? { rateLimit: c.WafRateLimit } : undefined,
    originShieldRegion: c.OriginShieldRegion,
    imageHandlerConcurrency,
    monthlyBudget: budget === 0 ? undefined : (budget ?? DEFAULT_MONTHLY_BUDGET),
    allowUnsignedAnalysis: c.AllowUnsignedAnalysis,
    rollout,
    engine,
    pipeline,
    disasterRecovery,
  });
}

/**
 * 1000 USD: above the fixed floor with streaming (about 590 USD, docs/cost-model.md) plus a
 * healthy month of traffic, so the first alert means something changed.
 */
export const DEFAULT_MONTHLY_BUDGET = 1000;
