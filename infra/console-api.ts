/**
 * The operator console's API in AWS: the `console-api` Lambda (`console/server/lambda.ts`, the app
 * `shutter serve` runs, over Step Functions, S3 and Athena) behind a regional API Gateway REST
 * API whose only resource is `/api/{proxy+}`, which the console's CloudFront distribution routes
 * `/api/*` to (`operator-console.ts`), so the page and its API share one origin.
 *
 * Why API Gateway rather than a Lambda function URL behind Origin Access Control: with OAC,
 * CloudFront signs each origin request with SigV4 in the Authorization header (so a script's
 * `Authorization: Bearer` never reaches the function) and needs the viewer to send a SHA-256 of
 * every POST/PUT body (which the sign-in form and uploads do not). API Gateway passes both as they
 * are; the function authenticates every `/api/` call itself (`console/server/auth.ts`).
 *
 * The console's credentials live in a Secrets Manager secret (a random 40-character token, JSON
 * `{"token"}`, encrypted with the data key) that the function reads when it starts
 * (CONSOLE_SECRET); its environment holds only the secret's ARN.
 */
import { ArnFormat, Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as athena from 'aws-cdk-lib/aws-athena';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IDependable } from 'constructs';
import { acknowledge, findingText } from './acknowledge.js';
import type { DeliverySettingsTable } from './delivery-settings-table.js';
import { grantObjectRead, grantObjectWrite, type BucketAccess } from './bucket-access.js';
import type { LambdaCodeSource } from './lambda-code.js';
import type { OriginSecret } from './origin-secret.js';
import { PlatformFunction } from './platform-function.js';
import type { SigningSecret } from './signing-secret.js';

/** The API Gateway stage, and so the origin path CloudFront puts before `/api/…`. */
export const CONSOLE_API_STAGE = 'console';

export interface ConsoleApiProps {
  code: LambdaCodeSource;
  logRetention: logs.RetentionDays;
  /** Read by the console (Images page); `uploads` is also written (the upload action). */
  buckets: { images: s3.IBucket; uploads: s3.IBucket; renditions: s3.IBucket; quarantine: s3.IBucket };
  /** The delivery settings operators edit (`/api/origins|policies|mappings`). @default none */
  settings?: DeliverySettingsTable;
  /** Existing buckets (by name) the image handler reads, shown as sources too. @default none */
  sourceBuckets?: readonly string[];
  /**
   * The state machines the console lists, starts, stops, redrives and answers: the image workflow
   * (an upload's) and the backfill, as the app names them (IMAGE_ / BACKFILL_STATE_MACHINE_ARN).
   */
  stateMachines: { image: sfn.StateMachine; backfill?: sfn.StateMachine | undefined };
  /** The dashboards' Athena workgroup, Glue database and tables, over the lake in `lake.bucket`. */
  analytics: {
    workGroup: athena.CfnWorkGroup;
    databaseName: string;
    tableNames: readonly string[];
    /** The log bucket: the tables' prefixes are read, `resultsPrefix` holds query results. */
    lake: s3.IBucket;
    tablePrefixes: readonly string[];
    resultsPrefix: string;
  };
  /** Encrypts the credentials secret. */
  encryptionKey: kms.IKey;
  /**
   * The header the console's CloudFront distribution sends (`operator-console.ts`): the API then
   * answers only what comes through it (403 `CloudFront::Required` otherwise), so its WAF and logs
   * cannot be bypassed by calling the regional endpoint. The image API's secret, shared.
   */
  originSecret: OriginSecret;
  /** The image API's signing secret, for the playground's signed URLs. @default signatures off */
  signature?: SigningSecret;
  /**
   * What sets the account's API Gateway CloudWatch Logs role (the image API's `Account`): the
   * stage's execution logging needs it first. @default none (the account already has one)
   */
  loggingRole?: IDependable;
  /** @default RETAIN */
  removalPolicy?: RemovalPolicy;
}

export class ConsoleApi extends Construct {
  readonly handler: PlatformFunction;
  readonly api: apigateway.RestApi;
  /** `{"token": "..."}`: the token operators sign in with. */
  readonly credentials: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: ConsoleApiProps) {
    super(scope, id);
    this.credentials = new secretsmanager.Secret(this, 'Credentials', {
      description: 'shutter: the operator console sign-in token (JSON {"token"})',
      encryptionKey: props.encryptionKey,
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'token',
        passwordLength: 40,
        excludePunctuation: true,
      },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.credentials,
      'AwsSolutions-SMG4',
      'Operators type this token into the console: it changes when they decide (put a new value), which ends every session; scheduled rotation would lock them out without notice.',
    );

    const { image, backfill } = props.stateMachines;
    const sources = [...(props.sourceBuckets ?? []), props.buckets.images.bucketName];
    this.handler = new PlatformFunction(this, 'Handler', {
      bundle: 'console-api',
      code: props.code,
      description: 'shutter: the operator console API (executions, images, moderation, analytics)',
      // Bucket previews decode whole images with sharp.
      memorySize: 1024,
      // API Gateway's integration timeout.
      timeout: Duration.seconds(29),
      logRetention: props.logRetention,
      environment: {
        SHUTTER_STORAGE: 's3',
        SOURCE_BUCKETS: sources.join(','),
        UPLOADS_BUCKET: props.buckets.uploads.bucketName,
        RENDITIONS_BUCKET: props.buckets.renditions.bucketName,
        QUARANTINE_BUCKET: props.buckets.quarantine.bucketName,
        ...(props.settings ? { SETTINGS_TABLE: props.settings.table.tableName } : {}),
        WORKFLOW_ENGINE: 'stepfunctions',
        IMAGE_STATE_MACHINE_ARN: image.stateMachineArn,
        ...(backfill ? { BACKFILL_STATE_MACHINE_ARN: backfill.stateMachineArn } : {}),
        QUERY_ENGINE: 'athena',
        ATHENA_WORKGROUP: props.analytics.workGroup.ref,
        ATHENA_DATABASE: props.analytics.databaseName,
        CONSOLE_SECRET: this.credentials.secretArn,
        ORIGIN_SECRET: props.originSecret.secret.secretArn,
        // CloudFront passes the browser's Host as X-Forwarded-Host (operator-console.ts).
        CONSOLE_FORWARDED_HOST: 'Yes',
        // The console's reads are not image deliveries: no access events.
        EVENTS_ACCESS_SAMPLE_RATE: '0',
        ENABLE_SIGNATURE: props.signature ? 'Yes' : 'No',
        ...(props.signature ? { SECRETS_MANAGER: props.signature.secretId, SECRET_KEY: props.signature.secretKey } : {}),
      },
    });
    this.grantAccess(props);
    this.api = this.createApi(props);
  }

  private grantAccess(props: ConsoleApiProps): void {
    const role = this.handler.role;
    // The credentials, read once when a container starts; their key only through Secrets Manager.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.credentials.secretArn] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [props.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
      }),
    );
    props.originSecret.grantRead(role);
    props.signature?.grantRead(role);
    props.settings?.grantReadWrite(role);

    // The buckets the Images page shows (objects, previews, manifests, review records), and uploads.
    const existing = (props.sourceBuckets ?? []).map((name, index) => s3.Bucket.fromBucketName(this, `Source${index}`, name));
    for (const bucket of [props.buckets.images, ...existing, props.buckets.uploads, props.buckets.renditions, props.buckets.quarantine])
      grantObjectRead(role, { bucket });
    grantObjectWrite(role, { bucket: props.buckets.uploads });

    // Step Functions: the machines themselves (list, start, answer a waiting review) and their executions.
    for (const machine of [props.stateMachines.image, ...(props.stateMachines.backfill ? [props.stateMachines.backfill] : [])]) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['states:ListExecutions', 'states:StartExecution', 'states:SendTaskSuccess', 'states:SendTaskFailure'],
          resources: [machine.stateMachineArn],
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:StopExecution', 'states:RedriveExecution'],
          resources: [`${executionArns(machine)}:*`],
        }),
      );
      acknowledge(
        role,
        `AwsSolutions-IAM5[Resource::${findingText(machine, executionArns(machine))}:*]`,
        "Describing, reading the history of, stopping and redriving the executions of this one state machine: execution ARNs are named at start, so only a pattern over the machine's own executions can cover them.",
      );
    }

    // Athena in the platform's workgroup only (which enforces its result location, encryption and scan limit).
    const stack = Stack.of(this);
    const { analytics } = props;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution'],
        resources: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: analytics.workGroup.ref })],
      }),
    );
    // Athena reads the table definitions with the caller's permissions: the catalog, the database, its tables.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          stack.formatArn({ service: 'glue', resource: 'database', resourceName: analytics.databaseName }),
          ...analytics.tableNames.map((table) =>
            stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${analytics.databaseName}/${table}` }),
          ),
        ],
      }),
    );
    // ... and the lake's objects, and writes the results, with the caller's permissions too.
    for (const prefix of analytics.tablePrefixes) grantObjectRead(role, { bucket: analytics.lake, prefix });
    const results: BucketAccess = { bucket: analytics.lake, prefix: analytics.resultsPrefix };
    grantObjectRead(role, results);
    grantObjectWrite(role, results);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetBucketLocation'], resources: [analytics.lake.bucketArn] }),
    );
  }

  private createApi(props: ConsoleApiProps): apigateway.RestApi {
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const api = new apigateway.RestApi(this, 'Api', {
      description: "shutter: the operator console's API (origin of /api/* on the console distribution)",
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // Uploads are images and answers include previews: every body passes as base64, as for the image API.
      binaryMediaTypes: ['*/*'],
      // The image API sets the account's logging role; a second setting would only compete with it.
      cloudWatchRole: false,
      deployOptions: {
        stageName: CONSOLE_API_STAGE,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        // Operators are few: a runaway script, not traffic, is what this bounds.
        throttlingRateLimit: 50,
        throttlingBurstLimit: 100,
      },
    });
    if (props.loggingRole) api.deploymentStage.node.addDependency(props.loggingRole);
    // Only /api/…: the image URLs and the console page are not this API's.
    api.root
      .addResource('api')
      .addResource('{proxy+}')
      .addMethod('ANY', new apigateway.LambdaIntegration(this.handler.alias, { proxy: true }));

    acknowledge(
      api,
      'AwsSolutions-APIG2',
      'The function validates every body and query against its route schemas (zod, unknown keys rejected); a proxy resource declares no parameters for API Gateway to validate.',
    );
    acknowledge(
      api,
      'AwsSolutions-APIG3',
      "A web ACL belongs on the console's CloudFront distribution (context WebAclArn), which sees every request first; a second one on the regional API would bill the same requests twice.",
    );
    acknowledge(
      api,
      'AwsSolutions-APIG4',
      "The function authenticates every /api/ call itself (token or user/password from Secrets Manager, or the signed session cookie its sign-in sets); an API Gateway authorizer could not issue that cookie and would check the same credentials twice.",
    );
    acknowledge(
      api,
      'AwsSolutions-COG4',
      'Operators sign in with the console credentials kept in Secrets Manager (console/server/auth.ts); there is no user pool to federate.',
    );
    return api;
  }
}

/** `arn:…:states:…:execution:<machine name>`: the executions of one state machine, without the trailing `:*`. */
function executionArns(machine: sfn.StateMachine): string {
  const stack = Stack.of(machine);
  const name = stack.splitArn(machine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName!;
  return stack.formatArn({ service: 'states', resource: 'execution', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/** The CloudFront Function (viewer request) that passes the Host the browser sent as X-Forwarded-Host. */
export const VIEWER_HOST_FUNCTION_CODE = `function handler(event) {
  var request = event.request;
  // Overwrites whatever the browser sent: the API trusts this header (CONSOLE_FORWARDED_HOST).
  request.headers['x-forwarded-host'] = { value: request.headers.host.value };
  return request;
}`;
