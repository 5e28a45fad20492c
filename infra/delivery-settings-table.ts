/**
 * The delivery settings (origins, policies, mappings; `core/delivery-settings.ts`) in DynamoDB:
 * partition key `kind`, sort key `name`, as `core/adapters/aws/dynamodb-settings-store.ts` reads
 * and writes them. On demand (a few reads per Lambda every SETTINGS_CACHE_SECONDS), point-in-time
 * recovery on, kept when the stack goes: operators' settings are not rebuildable.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface DeliverySettingsTableProps {
  /** @default RETAIN */
  removalPolicy?: RemovalPolicy;
}

export class DeliverySettingsTable extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: DeliverySettingsTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: 'kind', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'name', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /** What the image handler needs: the settings, read. */
  grantRead(role: iam.IGrantable): void {
    this.grant(role, ['dynamodb:GetItem', 'dynamodb:Query']);
  }

  /** What the console's API needs: read, and conditional writes and deletes. */
  grantReadWrite(role: iam.IGrantable): void {
    this.grant(role, ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']);
  }

  // The table itself, not CDK's grants: those add `<table>/index/*`, and this table has no index.
  private grant(role: iam.IGrantable, actions: string[]): void {
    role.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [this.table.tableArn] }));
  }
}
