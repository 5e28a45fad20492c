/**
 * On-demand delivery in SIH's shape: CloudFront → API Gateway (REST, stage `image`, every media
 * type binary) → the image Lambda (sharp, arm64) → S3. The Lambda's environment uses SIH's
 * variable names (see `core/config.ts`), so SIH settings carry over unchanged.
 *
 * CloudFront caches one entry per path + the query parameters the handler reads + negotiated
 * format: a viewer-request function (`accept-normalizer.ts`) drops every other query parameter
 * and reduces `Accept` to what format negotiation reads; the cache policy keys on what is left.
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { RENDITIONS_PATH } from '../api/renditions-route.js';
import { CLIENT_HINT_HEADERS, VIEWER_HOST_HEADER, acceptNormalizerCode } from './accept-normalizer.js';
import type { DeliverySettingsTable } from './delivery-settings-table.js';
import { AccessLogStream } from './access-log-stream.js';
import { CloudFrontLogBucket } from './cloudfront-log-bucket.js';
import { acknowledge } from './acknowledge.js';
import { grantObjectRead, grantObjectWrite, type BucketAccess } from './bucket-access.js';
import type { LambdaCodeSource } from './lambda-code.js';
import { LOG_PREFIXES } from './image-storage.js';
import { physicalName } from './physical-name.js';
import { LARGE_RESULTS_PREFIX } from '../api/large-results.js';
import { PlatformFunction } from './platform-function.js';
import { FargateEngine } from './fargate-engine.js';
import type { FargateSize } from './production-config.js';
import type { OriginSecret } from './origin-secret.js';
import type { SigningSecret } from './signing-secret.js';

export interface ImageDeliveryProps {
  code: LambdaCodeSource;
  /** The platform's images bucket: always a source, the default one unless `sourceBuckets` names others. */
  images: s3.IBucket;
  /** Existing buckets (by name) the handler may also read, SIH's SourceBuckets; the first is the default. @default none */
  sourceBuckets?: readonly string[];
  /**
   * Where results over Lambda's 6 MB response limit go (RESULT_BUCKET, under `results/`): the
   * handler answers a redirect to a presigned URL there (api/large-results.ts) instead of SIH's
   * 413. @default none: such results answer 413 TooLargeImageException
   */
  results?: s3.IBucket;
  /** Receives CloudFront logs (`cloudfront/`) and API access logs (`access-logs/`). */
  logs: s3.IBucket;
  /**
   * Where the handler writes its events (LAKE_BUCKET, under the `events` table's prefix): it runs
   * outside the streaming VPC, and its task root is read-only.
   */
  eventsLake: BucketAccess;
  /** CloudFront sends it, the handler requires it: the API is reachable only through CloudFront. */
  originSecret: OriginSecret;
  /**
   * CloudFormation resolves the origin header's dynamic reference only when the distribution
   * changes: a new label (it goes into the comment) is that change. @default none
   */
  originSecretRotation?: string;
  logRetention: logs.RetentionDays;
  /** @default false */
  autoWebp?: boolean;
  /** @default false */
  autoAvif?: boolean;
  /**
   * The bulk workflow's renditions, served at `/r/<key>` straight from the bucket (OAC), as the
   * manifests' URLs name them (`core/renditions.ts` renditionUrl). @default not served
   */
  renditions?: s3.IBucket;
  /** Delivery settings the handler reads (origins, policies, host mappings). @default none */
  settings?: DeliverySettingsTable;
  /** Client hints size what a URL leaves open (`CLIENT_HINTS`); the bucketed hints join the cache key. @default false */
  clientHints?: boolean;
  /** @default CORS off */
  cors?: { origin: string };
  /** @default signatures off */
  signature?: SigningSecret;
  /** @default none */
  fallbackImage?: { bucket: string; key: string };
  /** SIH's REWRITE_MATCH_PATTERN / REWRITE_SUBSTITUTION. @default none */
  rewrite?: { matchPattern: string; substitution: string };
  /** @default PRICE_CLASS_ALL (SIH's default) */
  priceClass?: cloudfront.PriceClass;
  /** A custom domain with its ACM certificate in us-east-1. @default the *.cloudfront.net name */
  domain?: { name: string; certificateArn: string };
  /** A WAFv2 web ACL (scope CLOUDFRONT). @default none */
  webAclArn?: string;
  /**
   * How long CloudFront keeps a 5xx before asking the origin again: long enough that a hot URL
   * cannot hammer a failing origin, short enough that a fix shows within the minute.
   * @default 60 seconds
   */
  errorCachingTtl?: Duration;
  /**
   * 1769 MB: the size at which Lambda gives a full vCPU; sharp's resize time falls almost linearly
   * with CPU up to there, so the GB-seconds cost barely moves while latency halves versus SIH's 1024.
   * @default 1769
   */
  memorySize?: number;
  /** CloudFront Origin Shield in this Region. @default none */
  originShieldRegion?: string;
  /** Reserved concurrency of the image handler (its ceiling, and its floor). @default none */
  reservedConcurrency?: number;
  /** Let unsigned URLs start Rekognition themselves (ANALYSIS_UNSIGNED). @default false: signed URLs and presets only */
  allowUnsignedAnalysis?: boolean;
  /**
   * Serve from ECS Fargate (`fargate-engine.ts`) behind CloudFront, with the Lambda path as the
   * origin group's fail-over. @default the Lambda engine only
   */
  fargate?: { size: FargateSize };
  /**
   * Where CloudFront asks when the Lambda engine's API answers 5xx: the DR standby's API, sent the
   * same origin header (the standby accepts this stack's secret, see `acceptedOriginSecrets`). @default none
   */
  failoverOrigin?: { domainName: string; originPath: string };
  /**
   * Further origin secrets the handler accepts, by name in this Region: a DR standby's handler
   * accepts the primary's secret, replicated here, which the primary's CloudFront sends on fail-over. @default none
   */
  acceptedOriginSecrets?: readonly string[];
  /** Requests per second (and burst) the API stage accepts. @default API Gateway's account limits */
  throttle?: { rateLimit: number; burstLimit: number };
}

export class ImageDelivery extends Construct {
  readonly handler: PlatformFunction;
  readonly api: apigateway.RestApi;
  readonly distribution: cloudfront.Distribution;
  readonly cachePolicy: cloudfront.CachePolicy;
  /** With `fargate`: the container engine, CloudFront's primary origin. */
  readonly engine: FargateEngine | undefined;
  /** The image handler's environment (SIH's variable names), shared by both engines. */
  readonly environment: Record<string, string>;
  /** Where CloudFront's standard logs go: the log bucket, or a us-east-1 bucket in opt-in Regions. */
  readonly cloudFrontLogs: CloudFrontLogBucket;
  /** https://<distribution or custom domain> */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ImageDeliveryProps) {
    super(scope, id);
    const sourceBuckets = [...(props.sourceBuckets ?? [])];
    // SIH: the first source bucket is the default one. The platform's images bucket is always
    // readable; it is the default unless the user names their own buckets first.
    const sourceBucketsEnv = [...sourceBuckets, props.images.bucketName].join(',');

    this.environment = {
        SHUTTER_STORAGE: 's3',
        SOURCE_BUCKETS: sourceBucketsEnv,
        LAKE_BUCKET: props.eventsLake.bucket.bucketName,
        ORIGIN_SECRET: [props.originSecret.secret.secretArn, ...(props.acceptedOriginSecrets ?? [])].join(','),
        AUTO_WEBP: yesNo(props.autoWebp),
        AUTO_AVIF: yesNo(props.autoAvif),
        CLIENT_HINTS: yesNo(props.clientHints),
        ...(props.settings
          ? {
              SETTINGS_TABLE: props.settings.table.tableName,
              // Host mappings match the viewer's host, which the viewer-request function copies here.
              MAPPING_HOST_HEADER: VIEWER_HOST_HEADER,
            }
          : {}),
        CORS_ENABLED: yesNo(!!props.cors),
        CORS_ORIGIN: props.cors?.origin ?? '*',
        ENABLE_SIGNATURE: yesNo(!!props.signature),
        ANALYSIS_UNSIGNED: yesNo(props.allowUnsignedAnalysis),
        ...(props.signature
          ? { SECRETS_MANAGER: props.signature.secretId, SECRET_KEY: props.signature.secretKey }
          : {}),
        ...(props.results ? { RESULT_BUCKET: props.results.bucketName } : {}),
        ENABLE_DEFAULT_FALLBACK_IMAGE: yesNo(!!props.fallbackImage),
        ...(props.fallbackImage
          ? {
              DEFAULT_FALLBACK_IMAGE_BUCKET: props.fallbackImage.bucket,
              DEFAULT_FALLBACK_IMAGE_KEY: props.fallbackImage.key,
            }
          : {}),
        ...(props.rewrite
          ? {
              REWRITE_MATCH_PATTERN: props.rewrite.matchPattern,
              REWRITE_SUBSTITUTION: props.rewrite.substitution,
            }
          : {}),
    };
    this.handler = new PlatformFunction(this, 'ImageHandler', {
      bundle: 'image-handler',
      code: props.code,
      description: 'shutter: on-demand image transformations (SIH-compatible URLs)',
      memorySize: props.memorySize ?? 1769,
      // API Gateway's integration timeout is 29 s; the handler bounds its own work below that.
      timeout: Duration.seconds(29),
      logRetention: props.logRetention,
      reservedConcurrentExecutions: props.reservedConcurrency,
      environment: this.environment,
    });
    this.grantImageAccess(this.handler.role, props, sourceBuckets);
    if (props.fargate) {
      this.engine = new FargateEngine(this, 'Fargate', {
        size: props.fargate.size,
        environment: this.environment,
        logs: props.logs,
        logRetention: props.logRetention,
      });
      this.grantImageAccess(this.engine.taskDefinition.taskRole, props, sourceBuckets);
    }

    this.api = this.createApi(props);
    this.cachePolicy = new cloudfront.CachePolicy(this, 'CachePolicy', {
      cachePolicyName: physicalName(this, { suffix: 'image-cache', maxLength: 128 }),
      comment: 'shutter: path + the query parameters the handler reads + negotiated Accept',
      // The handler answers max-age=31536000 for images (SIH) and 10 s for client errors.
      defaultTtl: Duration.days(1),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.days(365),
      // With client hints, the hints the viewer-request function has bucketed (see accept-normalizer.ts).
      headerBehavior: cloudfront.CacheHeaderBehavior.allowList('accept', VIEWER_HOST_HEADER, ...(props.clientHints ? CLIENT_HINT_HEADERS : [])),
      // Every parameter that is left: the viewer-request function has already dropped those the
      // handler does not read (CloudFront's own allow-list holds only 10 names, fewer than it reads).
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      // Images are already compressed; gzip would only split the cache.
      enableAcceptEncodingGzip: false,
      enableAcceptEncodingBrotli: false,
    });
    this.cloudFrontLogs = new CloudFrontLogBucket(this, 'CloudFrontLogs', {
      logs: props.logs,
      logRetentionDays: props.logRetention,
    });
    this.distribution = this.createDistribution(props);
    if (this.cloudFrontLogs.elsewhere) this.distribution.node.addDependency(this.cloudFrontLogs);
    this.url = `https://${props.domain?.name ?? this.distribution.distributionDomainName}`;
  }

  /** What serving images needs (the handler's and the container's role): read sources, the fallback, the signing key; call Rekognition. */
  private grantImageAccess(role: iam.IRole, props: ImageDeliveryProps, sourceBuckets: string[]): void {
    grantObjectRead(role, { bucket: props.images });
    grantObjectWrite(role, props.eventsLake);
    if (props.results) {
      // Written, then read through the presigned URL the handler signs with its own role.
      grantObjectWrite(role, { bucket: props.results, prefix: LARGE_RESULTS_PREFIX });
      grantObjectRead(role, { bucket: props.results, prefix: LARGE_RESULTS_PREFIX });
    }
    sourceBuckets.forEach((name, index) =>
      grantObjectRead(role, { bucket: this.importedBucket(`Source${index}`, name) }),
    );
    if (props.fallbackImage) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [
            this.importedBucket('FallbackBucket', props.fallbackImage.bucket).arnForObjects(
              props.fallbackImage.key,
            ),
          ],
        }),
      );
    }
    props.signature?.grantRead(role);
    props.originSecret.grantRead(role);
    (props.acceptedOriginSecrets ?? []).forEach((name) =>
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          // A secret's ARN ends in six random characters after its name.
          resources: [Stack.of(this).formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${name}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
        }),
      ),
    );
    props.settings?.grantRead(role);
    // SIH's smartCrop and contentModeration edits call Rekognition; these actions take no resource ARN.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rekognition:DetectFaces', 'rekognition:DetectModerationLabels'],
        resources: ['*'],
      }),
    );
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments/PutTelemetryRecords and Rekognition DetectFaces/DetectModerationLabels support no resource-level permissions; they only accept "*".',
    );
  }

  private importedBucket(id: string, name: string): s3.IBucket {
    return (this.node.tryFindChild(id) as s3.IBucket | undefined) ?? s3.Bucket.fromBucketName(this, id, name);
  }

  private createApi(props: ImageDeliveryProps): apigateway.RestApi {
    const accessLogs = new AccessLogStream(this, 'AccessLogs', {
      bucket: props.logs,
      prefix: LOG_PREFIXES.accessLogs,
      logRetention: props.logRetention,
    });
    const api = new apigateway.RestApi(this, 'Api', {
      description: 'shutter: image API (origin of the CloudFront distribution)',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // Every response is an image or JSON produced by the Lambda as base64; */* makes API
      // Gateway decode all of them (SIH does the same).
      binaryMediaTypes: ['*/*'],
      cloudWatchRole: true,
      deployOptions: {
        stageName: 'image',
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        accessLogDestination: new apigateway.FirehoseLogDestination(accessLogs.stream),
        accessLogFormat: apigateway.AccessLogFormat.custom(ACCESS_LOG_FORMAT),
        ...(props.throttle
          ? { throttlingRateLimit: props.throttle.rateLimit, throttlingBurstLimit: props.throttle.burstLimit }
          : {}),
      },
    });
    // Not an output: image URLs start at CloudFront (the stack's ApiEndpoint), and the API itself
    // answers 403 to anything that did not come through it (origin-secret.ts).
    api.node.tryRemoveChild('Endpoint');
    const integration = new apigateway.LambdaIntegration(this.handler.alias, { proxy: true });
    for (const resource of [api.root, api.root.addResource('{proxy+}')]) {
      resource.addMethod('GET', integration);
      resource.addMethod('HEAD', integration);
    }

    acknowledge(
      api,
      'AwsSolutions-APIG2',
      'The handler validates every request against the image request model (core/image-request.ts); API Gateway validators can only check declared parameters, and a proxy of arbitrary image paths declares none.',
    );
    acknowledge(
      api,
      'AwsSolutions-APIG3',
      'A web ACL belongs on the CloudFront distribution (context WebAclArn), which sees every request first; a second one on the regional API would bill the same requests twice.',
    );
    acknowledge(
      api,
      'AwsSolutions-APIG4',
      'Public image delivery, as in SIH: image URLs are fetched by browsers without credentials. EnableSignature=Yes makes the handler require an HMAC signature on every URL.',
    );
    acknowledge(
      api,
      'AwsSolutions-COG4',
      'Public image delivery, as in SIH: no user pool signs browsers in; URL signatures (EnableSignature) authenticate URLs instead.',
    );
    acknowledge(
      api,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      "API Gateway's account-wide logging role: this AWS managed policy is the one API Gateway documents for execution logs.",
    );
    return api;
  }

  /**
   * The API (Lambda engine), or the Fargate engine's ALB with the API as fail-over: CloudFront
   * asks the API again when the ALB answers 5xx or cannot be reached.
   */
  private origin(props: ImageDeliveryProps): cloudfront.IOrigin {
    const shield = props.originShieldRegion ? { originShieldRegion: props.originShieldRegion } : {};
    // Both engines answer 403 to a request without the origin secret (origin-secret.ts).
    const customHeaders = { [props.originSecret.headerName]: props.originSecret.headerValue };
    const api = new origins.RestApiOrigin(this.api, { ...shield, customHeaders });
    if (!this.engine) {
      if (!props.failoverOrigin) return api;
      const standby = new origins.HttpOrigin(props.failoverOrigin.domainName, { originPath: props.failoverOrigin.originPath, customHeaders });
      return new origins.OriginGroup({ primaryOrigin: api, fallbackOrigin: standby, fallbackStatusCodes: [500, 502, 503, 504] });
    }
    return new origins.OriginGroup({
      primaryOrigin: origins.VpcOrigin.withApplicationLoadBalancer(this.engine.loadBalancer, {
        httpPort: 80,
        protocolPolicy: cloudfront.OriginProtocolPolicy.HTTP_ONLY,
        // The handler answers within its own deadline (REQUEST_TIMEOUT_MS), below this.
        readTimeout: Duration.seconds(30),
        ...shield,
        customHeaders,
      }),
      fallbackOrigin: api,
      fallbackStatusCodes: [500, 502, 503, 504],
    });
  }

  private createDistribution(props: ImageDeliveryProps): cloudfront.Distribution {
    const acceptNormalizer = new cloudfront.Function(this, 'AcceptNormalizer', {
      comment: 'shutter: reduce Accept to the formats negotiation reads',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(
        acceptNormalizerCode({ autoWebp: !!props.autoWebp, autoAvif: !!props.autoAvif, clientHints: !!props.clientHints }),
      ),
    });
    const securityHeaders = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      // CloudFront policies are account-wide: one per stack instance, whatever the Region.
      responseHeadersPolicyName: physicalName(this, { suffix: 'image-headers', maxLength: 128 }),
      comment: 'shutter: security headers for image responses',
      securityHeadersBehavior: {
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: {
          referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
          override: true,
        },
        // An image opened directly (an SVG especially) may run nothing and load nothing.
        contentSecurityPolicy: {
          contentSecurityPolicy: "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
          override: true,
        },
      },
    });
    const errorCachingTtl = props.errorCachingTtl ?? Duration.seconds(60);
    const distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `shutter image delivery (${Stack.of(this).stackName})${props.originSecretRotation ? `, origin secret ${props.originSecretRotation}` : ''}`,
      priceClass: props.priceClass ?? cloudfront.PriceClass.PRICE_CLASS_ALL,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin: this.origin(props),
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        cachePolicy: this.cachePolicy,
        responseHeadersPolicy: securityHeaders,
        compress: false,
        functionAssociations: [
          { function: acceptNormalizer, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
        ],
      },
      ...(props.renditions ? { additionalBehaviors: { 'r/*': this.renditionsBehavior(props.renditions, securityHeaders) } } : {}),
      enableLogging: true,
      logBucket: this.cloudFrontLogs.bucket,
      logFilePrefix: LOG_PREFIXES.cloudFront,
      errorResponses: [500, 502, 503, 504].map((httpStatus) => ({ httpStatus, ttl: errorCachingTtl })),
      ...(props.domain
        ? {
            domainNames: [props.domain.name],
            certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn),
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      ...(props.webAclArn ? { webAclId: props.webAclArn } : {}),
    });

    acknowledge(
      distribution,
      'AwsSolutions-CFR1',
      'Images are served worldwide; restricting countries is a business decision the distribution leaves to its owner.',
    );
    if (!props.webAclArn) {
      acknowledge(
        distribution,
        'AwsSolutions-CFR2',
        'WAF was turned off on purpose (context Waf=No; it is on by default, edge-security.ts); API throttling and URL signatures still bound abuse.',
      );
    }
    if (!props.domain) {
      acknowledge(
        distribution,
        'AwsSolutions-CFR4',
        'With the default *.cloudfront.net certificate CloudFront fixes the minimum viewer protocol; set DomainName and CertificateArn to enforce TLSv1.2_2021.',
      );
    }
    return distribution;
  }

  /**
   * `/r/*`: stored renditions, no Lambda. A viewer-request function drops the `/r` prefix (the
   * bucket holds `<key>`); the cache keys on `v` only, the source's content hash a manifest URL
   * carries, so a versioned URL is cached for as long as CloudFront keeps anything.
   */
  private renditionsBehavior(bucket: s3.IBucket, headers: cloudfront.IResponseHeadersPolicy): cloudfront.BehaviorOptions {
    const stripPrefix = new cloudfront.Function(this, 'RenditionsPath', {
      comment: 'shutter: /r/<key> is <key> in the renditions bucket',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(`function handler(event) {
  var request = event.request;
  request.uri = request.uri.substring(${RENDITIONS_PATH.length - 1});
  return request;
}
`),
    });
    return {
      origin: origins.S3BucketOrigin.withOriginAccessControl(bucket, {
        originAccessControl: new cloudfront.S3OriginAccessControl(this, 'RenditionsAccessControl', {
          originAccessControlName: physicalName(this, { suffix: 'renditions', maxLength: 64 }),
          signing: cloudfront.Signing.SIGV4_ALWAYS,
        }),
      }),
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      cachePolicy: new cloudfront.CachePolicy(this, 'RenditionsCachePolicy', {
        cachePolicyName: physicalName(this, { suffix: 'renditions-cache', maxLength: 128 }),
        comment: 'shutter: stored renditions, versioned by ?v=',
        defaultTtl: Duration.days(1),
        minTtl: Duration.seconds(0),
        maxTtl: Duration.days(365),
        queryStringBehavior: cloudfront.CacheQueryStringBehavior.allowList('v'),
        headerBehavior: cloudfront.CacheHeaderBehavior.none(),
        cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      }),
      responseHeadersPolicy: headers,
      compress: false,
      functionAssociations: [{ function: stripPrefix, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
    };
  }
}

/**
 * One JSON object per request, read by the `access_logs` Glue table (`lake-tables.ts`). Numbers
 * that are always numbers stay unquoted; `messageString` is API Gateway's JSON-quoted message.
 */
const ACCESS_LOG_FORMAT = [
  '{"requestId":"$context.requestId"',
  '"time":$context.requestTimeEpoch',
  '"ip":"$context.identity.sourceIp"',
  '"method":"$context.httpMethod"',
  '"path":"$context.path"',
  '"status":$context.status',
  '"bytes":"$context.responseLength"',
  '"latencyMs":$context.responseLatency',
  '"integrationLatencyMs":"$context.integrationLatency"',
  '"userAgent":"$context.identity.userAgent"',
  '"errorMessage":$context.error.messageString}',
].join(',');

function yesNo(value: boolean | undefined): 'Yes' | 'No' {
  return value ? 'Yes' : 'No';
}
