/**
 * Analytics: a Glue database with the lake's tables and views (`lake-tables.ts`), an Athena workgroup that
 * enforces encrypted results and a per-query scan limit, and — behind a flag, since QuickSight
 * is a paid subscription set up per account — a QuickSight data source and data set over it.
 */
import { Aws, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as quicksight from 'aws-cdk-lib/aws-quicksight';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EVENTS_ONCE_VIEW } from '../analytics/tables.js';
import { CLOUDFRONT_LOGS_TABLE, EVENTS_TABLE, LAKE_TABLES, lakeViews, type LakeTable } from './lake-tables.js';

/** First day partition projection offers; earlier days simply have no data. */
const PROJECTION_START = '2024-01-01';

export interface ImageAnalyticsProps {
  /** The log bucket holding the lake prefixes. */
  bucket: s3.IBucket;
  /** Encrypts Athena results (the log bucket's key). */
  resultsKey: kms.IKey;
  /** e.g. `athena-results/` */
  resultsPrefix: string;
  /** Athena cancels a query that would scan more. */
  bytesScannedCutoffPerQuery: number;
  /** @default no QuickSight resources */
  quickSight?: { principalArn: string };
  /** Where the `cloudfront_logs` table reads, when not the log bucket (opt-in Regions). @default `bucket` */
  cloudFrontLogs?: s3.IBucket;
}

export class ImageAnalytics extends Construct {
  readonly databaseName: string;
  readonly workGroup: athena.CfnWorkGroup;
  readonly tables: Readonly<Record<string, glue.CfnTable>>;

  constructor(scope: Construct, id: string, props: ImageAnalyticsProps) {
    super(scope, id);
    // Glue and Athena want lower case and underscores.
    this.databaseName = `${Stack.of(this).stackName}_shutter`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: this.databaseName,
        description: 'shutter: events, access logs and CloudFront logs',
      },
    });
    const tables: Record<string, glue.CfnTable> = {};
    for (const table of LAKE_TABLES) {
      const resource = new glue.CfnTable(this, table.name, {
        catalogId: Aws.ACCOUNT_ID,
        databaseName: this.databaseName,
        tableInput: this.tableInput(
          table,
          table.name === CLOUDFRONT_LOGS_TABLE.name ? (props.cloudFrontLogs ?? props.bucket) : props.bucket,
        ),
      });
      resource.addResourceDependency(database);
      tables[table.name] = resource;
    }
    // A view reads `events`: created after it, deleted before it.
    for (const view of lakeViews(this.databaseName)) {
      const resource = new glue.CfnTable(this, view.name, { catalogId: Aws.ACCOUNT_ID, databaseName: this.databaseName, tableInput: view });
      resource.addResourceDependency(tables[EVENTS_TABLE.name]!);
      tables[view.name] = resource;
    }
    this.tables = tables;

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: `${Stack.of(this).stackName}-shutter`,
      description: 'shutter: dashboards and ad-hoc queries over the lake',
      state: 'ENABLED',
      workGroupConfiguration: {
        // Clients cannot override the results location, encryption or the scan limit.
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
        engineVersion: { selectedEngineVersion: 'AUTO' },
        resultConfiguration: {
          outputLocation: `s3://${props.bucket.bucketName}/${props.resultsPrefix}`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.resultsKey.keyArn },
          expectedBucketOwner: Aws.ACCOUNT_ID,
        },
      },
    });

    if (props.quickSight) this.addQuickSight(props.quickSight.principalArn);
  }

  private tableInput(table: LakeTable, bucket: s3.IBucket): glue.CfnTable.TableInputProperty {
    const location = `s3://${bucket.bucketName}/${table.prefix}`;
    const storage =
      table.format === 'json-lines'
        ? {
            inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
            // A malformed line (a user agent with a quote, say) is skipped instead of failing the query.
            serdeInfo: {
              serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
              parameters: { 'ignore.malformed.json': 'true' },
            },
          }
        : {
            inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
            serdeInfo: {
              serializationLibrary: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe',
              parameters: { 'field.delim': '\t', 'serialization.format': '\t' },
            },
          };
    return {
      name: table.name,
      description: table.description,
      tableType: 'EXTERNAL_TABLE',
      parameters: {
        classification: table.format === 'json-lines' ? 'json' : 'csv',
        ...(table.format === 'cloudfront-standard-log' ? { 'skip.header.line.count': '2' } : {}),
        ...(table.dailyPartitions
          ? {
              'projection.enabled': 'true',
              'projection.dt.type': 'date',
              'projection.dt.format': 'yyyy-MM-dd',
              'projection.dt.range': `${PROJECTION_START},NOW`,
              'projection.dt.interval': '1',
              'projection.dt.interval.unit': 'DAYS',
              'storage.location.template': `${location}dt=\${dt}/`,
            }
          : {}),
      },
      partitionKeys: table.dailyPartitions
        ? [{ name: 'dt', type: 'string', comment: 'yyyy-MM-dd (UTC)' }]
        : [],
      storageDescriptor: {
        location,
        columns: table.columns,
        compressed: table.format === 'json-lines',
        ...storage,
      },
    };
  }

  /**
   * A QuickSight Athena data source on the workgroup, and a direct-query data set over `events_once`
   * (each event once, as the dashboard queries count): its text columns; `data` is a struct, which
   * a data set reads through custom SQL (the queries in analytics/queries/ show how).
   */
  private addQuickSight(principalArn: string): void {
    const dataSourceActions = [
      'quicksight:DescribeDataSource',
      'quicksight:DescribeDataSourcePermissions',
      'quicksight:PassDataSource',
      'quicksight:UpdateDataSource',
      'quicksight:DeleteDataSource',
      'quicksight:UpdateDataSourcePermissions',
    ];
    const dataSetActions = [
      'quicksight:DescribeDataSet',
      'quicksight:DescribeDataSetPermissions',
      'quicksight:PassDataSet',
      'quicksight:DescribeIngestion',
      'quicksight:ListIngestions',
      'quicksight:UpdateDataSet',
      'quicksight:DeleteDataSet',
      'quicksight:CreateIngestion',
      'quicksight:CancelIngestion',
      'quicksight:UpdateDataSetPermissions',
    ];
    const prefix = `${Stack.of(this).stackName}-shutter`.toLowerCase();
    const dataSource = new quicksight.CfnDataSource(this, 'QuickSightDataSource', {
      awsAccountId: Aws.ACCOUNT_ID,
      dataSourceId: `${prefix}-athena`,
      name: 'shutter (Athena)',
      type: 'ATHENA',
      dataSourceParameters: { athenaParameters: { workGroup: this.workGroup.name } },
      sslProperties: { disableSsl: false },
      permissions: [{ principal: principalArn, actions: dataSourceActions }],
    });
    dataSource.addResourceDependency(this.workGroup);
    const dataSet = new quicksight.CfnDataSet(this, 'QuickSightEvents', {
      awsAccountId: Aws.ACCOUNT_ID,
      dataSetId: `${prefix}-events`,
      name: 'shutter events',
      importMode: 'DIRECT_QUERY',
      physicalTableMap: {
        events: {
          relationalTable: {
            dataSourceArn: dataSource.attrArn,
            catalog: 'AwsDataCatalog',
            schema: this.databaseName,
            name: EVENTS_ONCE_VIEW.name,
            inputColumns: [
              ...EVENTS_TABLE.columns.filter((column) => column.type === 'string').map((column) => ({ name: column.name!, type: 'STRING' })),
              { name: 'dt', type: 'STRING' },
            ],
          },
        },
      },
      permissions: [{ principal: principalArn, actions: dataSetActions }],
    });
    dataSet.addResourceDependency(this.tables[EVENTS_ONCE_VIEW.name]!);
  }
}
