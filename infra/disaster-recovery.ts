/**
 * Disaster recovery (`DisasterRecovery=Yes`, `DrRegion=...`): a warm standby of the whole
 * platform in a second Region, and the primary's data flowing to it.
 *
 * - {@link DrStandbyStack}: the same {@link ShutterStack} in the DR Region (its own names, so
 *   nothing collides), whose images, renditions and quarantine buckets receive replicas. It is
 *   deployed first; it holds no state of its own that the primary does not replicate.
 * - {@link DisasterRecovery}, in the primary: S3 replication of those three buckets to the
 *   standby's, with Replication Time Control (15-minute SLA) and its metrics, and an alarm when
 *   an object fails to replicate or lags past the SLA; the signing secret replicated to the DR
 *   Region under the same name; an AWS Backup plan for the buckets whose objects cannot be
 *   rebuilt (images and quarantine: daily, 35 days); and CloudFront fail-over from the
 *   primary's API to the standby's.
 *
 * docs/disaster-recovery.md is the runbook: RPO/RTO, fail-over and fail-back.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcards } from './acknowledge.js';
import type { ImageStorage } from './image-storage.js';
import type { DrStandbyStack } from './dr-standby-stack.js';
import type { OriginSecret } from './origin-secret.js';

/** The buckets replicated to the standby: sources, workflow output, moderation evidence. */
export const REPLICATED_BUCKETS = ['images', 'renditions', 'quarantine'] as const;
export type ReplicatedBucket = (typeof REPLICATED_BUCKETS)[number];

export interface DisasterRecoveryProps {
  storage: ImageStorage;
  standby: DrStandbyStack;
  /** The signing secret the platform created, replicated to the DR Region. @default none */
  signingSecret?: secretsmanager.ISecret;
  /** The header secret CloudFront sends, replicated so the standby accepts it on fail-over. */
  originSecret: OriginSecret;
  topic: sns.ITopic;
}

export class DisasterRecovery extends Construct {
  readonly replicationRole: iam.Role;
  readonly backupPlan: backup.BackupPlan;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: DisasterRecoveryProps) {
    super(scope, id);
    const { storage, standby } = props;
    this.replicationRole = new iam.Role(this, 'ReplicationRole', {
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com'),
      description: 'shutter: replicates images, renditions and quarantine to the DR Region',
    });
    // Rendition versions are kept a week: enough for replication, not a second copy of everything.
    (storage.renditions.node.defaultChild as s3.CfnBucket).versioningConfiguration = { status: 'Enabled' };
    storage.renditions.addLifecycleRule({ id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(7) });

    const standbyObjects = `arn:${Stack.of(this).partition}:s3:::${standby.stackName.toLowerCase()}-*/*`;
    for (const name of REPLICATED_BUCKETS) {
      const source = storage[name];
      const replica = standby.replica(name);
      source.grantRead(this.replicationRole);
      this.replicationRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
          resources: [source.bucketArn],
        }),
      );
      this.replicationRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'],
          resources: [source.arnForObjects('*')],
        }),
      );
      this.replicationRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
          // The standby's buckets by their name prefix (CloudFormation names them after the
          // stack): a literal the standby's ARNs, known only in its Region, cannot give here.
          resources: [standbyObjects],
        }),
      );
      // On the role, not the key's policy: the standby (deployed first) must not depend on the primary.
      this.replicationRole.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['kms:Encrypt', 'kms:GenerateDataKey'], resources: [replica.key.keyArn] }),
      );
      const cfn = source.node.defaultChild as s3.CfnBucket;
      cfn.replicationConfiguration = {
        role: this.replicationRole.roleArn,
        rules: [
          {
            id: `dr-${name}`,
            status: 'Enabled',
            priority: 0,
            filter: { prefix: '' },
            // Deletions stay in the primary: a deletion by mistake must not reach the replica.
            deleteMarkerReplication: { status: 'Disabled' },
            sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
            destination: {
              bucket: replica.bucket.bucketArn,
              encryptionConfiguration: { replicaKmsKeyId: replica.key.keyArn },
              replicationTime: { status: 'Enabled', time: { minutes: 15 } },
              metrics: { status: 'Enabled', eventThreshold: { minutes: 15 } },
            },
          },
        ],
      };
      this.alarm(`${name}ReplicationFailed`, source, `dr-${name}`, props.topic);
    }

    // The origin header CloudFront sends on fail-over is this stack's: the standby's handler reads
    // it from a replica in its Region, under a name it knows before this stack exists.
    const originSecret = props.originSecret.secret.node.defaultChild as secretsmanager.CfnSecret;
    originSecret.name = originSecretName(Stack.of(this).stackName);
    originSecret.replicaRegions = [{ region: standby.region, kmsKeyId: standby.platform.storage.dataKey.keyArn }];

    // The signing key must verify the same URLs in the DR Region, under the same name.
    if (props.signingSecret) {
      const secret = props.signingSecret.node.defaultChild as secretsmanager.CfnSecret;
      secret.name = signingSecretName(Stack.of(this).stackName);
      secret.replicaRegions = [{ region: standby.region, kmsKeyId: standby.platform.storage.dataKey.keyArn }];
    }

    const vault = new backup.BackupVault(this, 'Vault', { encryptionKey: storage.dataKey });
    this.backupPlan = new backup.BackupPlan(this, 'Plan', {
      backupVault: vault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'daily-35-days',
          scheduleExpression: events.Schedule.cron({ hour: '3', minute: '0' }),
          deleteAfter: Duration.days(35),
          // A copy in the DR Region too, so a Region loss does not take the backups with it.
          copyActions: [{ destinationBackupVault: backup.BackupVault.fromBackupVaultArn(this, 'DrVault', standbyVaultArn(standby)), deleteAfter: Duration.days(35) }],
        }),
      ],
    });
    // Images and quarantine cannot be rebuilt; renditions can (the workflow re-renders them).
    this.backupPlan.addSelection('Buckets', {
      resources: [backup.BackupResource.fromArn(storage.images.bucketArn), backup.BackupResource.fromArn(storage.quarantine.bucketArn)],
      allowRestores: true,
    });

    acknowledgeWildcards(
      this.replicationRole,
      'S3 replication reads every object version of the three source buckets and writes any key of their replicas: S3 names objects only by pattern, and the KMS actions are the documented ones on the two data keys.',
    );
    for (const policy of ['AWSBackupServiceRolePolicyForBackup', 'AWSBackupServiceRolePolicyForRestores', 'AWSBackupServiceRolePolicyForS3Backup', 'AWSBackupServiceRolePolicyForS3Restore'])
      acknowledge(
        this.backupPlan,
        `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${policy}]`,
        "AWS Backup's documented service-role policies, attached by CDK to the selection's role so Backup can read and restore the two named buckets.",
      );
    acknowledgeWildcards(this.backupPlan, "AWS Backup's generated selection role: backup and restore of the two named buckets' objects, which S3 names only by pattern.");
  }

  private alarm(id: string, bucket: s3.IBucket, ruleId: string, topic: sns.ITopic): void {
    const failed = new cloudwatch.Metric({
      namespace: 'AWS/S3',
      metricName: 'OperationsFailedReplication',
      dimensionsMap: { SourceBucket: bucket.bucketName, RuleId: ruleId },
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
    const late = new cloudwatch.Metric({
      namespace: 'AWS/S3',
      metricName: 'OperationsMissedThreshold',
      dimensionsMap: { SourceBucket: bucket.bucketName, RuleId: ruleId },
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
    const alarm = new cloudwatch.Alarm(this, id, {
      metric: new cloudwatch.MathExpression({ expression: 'failed + late', usingMetrics: { failed, late }, period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `shutter: objects of ${ruleId} failed to replicate to the DR Region, or missed the 15-minute SLA`,
    });
    alarm.addAlarmAction(new actions.SnsAction(topic));
    this.alarms.push(alarm);
  }
}

/** The primary's origin secret, named so the standby can accept its replica before it exists. */
export function originSecretName(primaryStackName: string): string {
  return `${primaryStackName}-origin`;
}

/** The primary's signing secret, named so the standby can name its replica before it exists. */
export function signingSecretName(primaryStackName: string): string {
  return `${primaryStackName}-signing`;
}

/** The standby's backup vault, named by convention so the primary's copy action can name it first. */
export function standbyVaultName(standby: Stack): string {
  return `${standby.stackName}-dr-vault`;
}

function standbyVaultArn(standby: Stack): string {
  return `arn:${standby.partition}:backup:${standby.region}:${standby.account}:backup-vault:${standbyVaultName(standby)}`;
}
