/**
 * The DR standby (`DisasterRecovery=Yes`): the whole platform in the DR Region, deployed before
 * the primary, receiving its replicas (see `disaster-recovery.ts`).
 */
import * as backup from 'aws-cdk-lib/aws-backup';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { standbyVaultName, type ReplicatedBucket } from './disaster-recovery.js';
import { ShutterStack, type ShutterStackProps } from './shutter-stack.js';

/** The standby: the platform in the DR Region, its replicated buckets versioned (S3 replication needs it). */
export class DrStandbyStack extends ShutterStack {
  constructor(scope: Construct, id: string, props: ShutterStackProps) {
    super(scope, id, props);
    // Renditions are rebuildable, so the primary does not version them; a replica destination must be.
    const renditions = this.platform.storage.renditions.node.defaultChild as s3.CfnBucket;
    renditions.versioningConfiguration = { status: 'Enabled' };
    // Receives the primary's daily backup copies (see DisasterRecovery).
    new backup.BackupVault(this, 'DrVault', { backupVaultName: standbyVaultName(this), encryptionKey: this.platform.storage.dataKey });
  }

  /** A replicated bucket of the standby and the key that encrypts it. */
  replica(name: ReplicatedBucket): { bucket: s3.IBucket; key: kms.IKey } {
    return { bucket: this.platform.storage[name], key: this.platform.storage.dataKey };
  }
}

