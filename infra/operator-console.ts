/**
 * The operator console as a static site: the files `npm run build` writes to `console/dist/`
 * (one page, hashed script and stylesheet, no CDN) in a private, KMS-encrypted bucket that only
 * this distribution can read (Origin Access Control), served over HTTPS with the same security
 * headers the local server sends (`console/server/static-files.ts`). The console uses hash routes, so no
 * rewrite rules are needed.
 *
 * The page holds no data and no secret; everything it shows comes from `/api/` on its own origin:
 * with `api` (the console's API Gateway, `console-api.ts`), `/api/*` goes there uncached, every
 * method, with cookies, Authorization and the query string; a viewer-request function passes the
 * Host the browser sent as X-Forwarded-Host, since API Gateway must get its own name as Host and
 * the API compares the browser's Origin with the browser's Host (CSRF).
 */
import { DefaultStackSynthesizer, Duration, RemovalPolicy, Stack, type CfnResource } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CONSOLE_CSP, CONSOLE_SECURITY_HEADERS } from '../console/server/static-files.js';
import { physicalName } from './physical-name.js';
import { acknowledge, findingRef, findingText } from './acknowledge.js';
import { VIEWER_HOST_FUNCTION_CODE } from './console-api.js';
import type { OriginSecret } from './origin-secret.js';
import { LOG_PREFIXES } from './image-storage.js';
import { SecureBucket } from './secure-bucket.js';

export interface OperatorConsoleProps {
  /** The built console (`npm run build` writes `console/dist/`); must hold `index.html`. */
  directory: string;
  /** Receives the bucket's access logs and the distribution's logs (`cloudfront-console/`). */
  logs: s3.IBucket;
  /** @default PRICE_CLASS_100: operators are few; the cheapest edge locations serve them */
  priceClass?: cloudfront.PriceClass;
  /** @default no WAF */
  webAclArn?: string;
  /** @default RETAIN */
  removalPolicy?: RemovalPolicy;
  /**
   * The console's API (`ConsoleApi.api`), served under `/api/*`, and the origin secret it requires
   * (sent as a header on every `/api/*` origin request). @default none: the page alone, which cannot sign in
   */
  api?: { api: apigateway.RestApiBase; originSecret: OriginSecret };
  /** Changing it makes CloudFormation read the origin secret again (docs/deploy.md, "Rotating the origin secret"). @default none */
  originSecretRotation?: string;
}

/** Headers the local server sends with the console that CloudFront has no named setting for. */
const CUSTOM_HEADERS = ['Cross-Origin-Opener-Policy', 'Cross-Origin-Resource-Policy', 'Permissions-Policy'] as const;

export class OperatorConsole extends Construct {
  readonly bucket: SecureBucket;
  readonly distribution: cloudfront.Distribution;
  readonly securityHeaders: cloudfront.ResponseHeadersPolicy;
  /** https://<distribution> */
  readonly url: string;

  constructor(scope: Construct, id: string, props: OperatorConsoleProps) {
    super(scope, id);
    const directory = path.resolve(props.directory);
    if (!existsSync(path.join(directory, 'index.html'))) {
      throw new Error(
        `The operator console is not built: no index.html in ${directory}. Run \`npm run build\` (\`npx cdk synth\` builds it too).`,
      );
    }

    // Its own key: CloudFront may decrypt with it, and it protects nothing but the public page.
    const key = new kms.Key(this, 'Key', {
      description: 'shutter: operator console site bucket',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.bucket = new SecureBucket(this, 'Site', {
      encryptionKey: key,
      accessLogs: props.logs,
      removalPolicy: props.removalPolicy,
    });

    const headers = CONSOLE_SECURITY_HEADERS;
    this.securityHeaders = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      // CloudFront names are account-wide: one per stack instance, whatever the Region.
      responseHeadersPolicyName: physicalName(this, { suffix: 'console-headers', maxLength: 128 }),
      comment: 'shutter: the operator console security headers (as console/server/static-files.ts sends them)',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONSOLE_CSP, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          override: true,
        },
      },
      customHeadersBehavior: {
        customHeaders: CUSTOM_HEADERS.map((header) => ({ header, value: headers[header]!, override: true })),
      },
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      ...(props.api ? { additionalBehaviors: { '/api/*': this.apiBehavior(props.api) } } : {}),
      comment: `shutter operator console (${Stack.of(this).stackName})${props.originSecretRotation ? `, origin secret ${props.originSecretRotation}` : ''}`,
      priceClass: props.priceClass ?? cloudfront.PriceClass.PRICE_CLASS_100,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket, {
          originAccessControl: new cloudfront.S3OriginAccessControl(this, 'OriginAccessControl', {
            originAccessControlName: physicalName(this, { suffix: 'console', maxLength: 64 }),
            description: 'shutter: the operator console site bucket, through CloudFront only',
          }),
        }),
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.securityHeaders,
        compress: true,
      },
      enableLogging: true,
      logBucket: props.logs,
      logFilePrefix: LOG_PREFIXES.consoleCloudFront,
      ...(props.webAclArn ? { webAclId: props.webAclArn } : {}),
    });

    new s3deploy.BucketDeployment(this, 'Files', {
      sources: [s3deploy.Source.asset(directory)],
      destinationBucket: this.bucket,
      // Scripts and styles carry content hashes; only the page names them, so only the page must
      // be fetched again after a deploy.
      distribution: this.distribution,
      distributionPaths: ['/', '/index.html'],
      memoryLimit: 256,
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    acknowledge(
      this.distribution,
      'AwsSolutions-CFR1',
      'The console is for the operators of this deployment, wherever they work; a country allow-list is theirs to add.',
    );
    if (!props.webAclArn) {
      acknowledge(
        this.distribution,
        'AwsSolutions-CFR2',
        'WAF is opt-in (context WebAclArn) because of its fixed monthly cost; the site is static files, and the API behind it authenticates every call.',
      );
    }
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR4',
      'With the default *.cloudfront.net certificate CloudFront fixes the minimum viewer protocol; the page is public code with no secret in it.',
    );
    this.acknowledgeDeploymentProvider();
  }

  /**
   * `/api/*`: never cached (CachingDisabled), every method, and everything the viewer sent but
   * Host (AllViewerExceptHostHeader: cookies, query strings and, since nothing is cached,
   * Authorization), with the browser's Host as X-Forwarded-Host.
   */
  private apiBehavior({ api, originSecret }: NonNullable<OperatorConsoleProps['api']>): cloudfront.BehaviorOptions {
    const viewerHost = new cloudfront.Function(this, 'ViewerHost', {
      comment: "shutter: the browser's Host as X-Forwarded-Host, for the console API's origin checks",
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(VIEWER_HOST_FUNCTION_CODE),
    });
    // The API's own answers carry its CSP (sandboxed) and no-store; this adds what the transport owes.
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'ApiSecurityHeaders', {
      responseHeadersPolicyName: physicalName(this, { suffix: 'console-api-headers', maxLength: 128 }),
      comment: "shutter: transport security headers for the console's API answers",
      securityHeadersBehavior: {
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });
    return {
      origin: new origins.RestApiOrigin(api, { customHeaders: { [originSecret.headerName]: originSecret.headerValue } }),
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: headers,
      compress: false,
      functionAssociations: [{ function: viewerHost, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
    };
  }

  /**
   * CDK's bucket-deployment function (a stack-wide singleton): it copies the files at deploy
   * time, run only by CloudFormation. Its role is CDK's; each finding is acknowledged by name.
   */
  private acknowledgeDeploymentProvider(): void {
    const stack = Stack.of(this);
    const site = findingRef(this.bucket.node.defaultChild as CfnResource);
    // The CDK bootstrap asset bucket, as the stack's environment writes it (Region concrete or not).
    const assetObjects = findingText(
      this,
      `arn:${stack.partition}:s3:::cdk-${DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-${stack.account}-${stack.region}/*`,
    );
    const findings: Record<string, string> = {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]':
        'The AWS managed policy only lets the deploy-time copy function write its own logs.',
      'AwsSolutions-L1': "Its runtime is chosen by aws-cdk-lib for its own deploy-time function, not by this app.",
      // Reading the staged asset from the CDK bootstrap bucket.
      [`AwsSolutions-IAM5[Resource::${assetObjects}]`]:
        'Reads the staged console files from the CDK bootstrap asset bucket, whose object names are content hashes known only at deploy time.',
      'AwsSolutions-IAM5[Action::s3:GetBucket*]': "CDK's grantRead on the asset bucket and the site bucket (bucket location and versioning lookups during the copy).",
      'AwsSolutions-IAM5[Action::s3:GetObject*]': "CDK's grantRead on the staged asset: the copy reads objects and their metadata.",
      'AwsSolutions-IAM5[Action::s3:List*]': 'The copy lists the site bucket to prune files a new build no longer has.',
      [`AwsSolutions-IAM5[Resource::${site}/*]`]: 'Writes and prunes the console files in this one site bucket, by object pattern.',
      'AwsSolutions-IAM5[Action::s3:Abort*]': "CDK's grantReadWrite on the site bucket: aborting a failed multipart copy.",
      'AwsSolutions-IAM5[Action::s3:DeleteObject*]': 'Pruning files the new build no longer has, in the site bucket only.',
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]': "Writes into the site bucket, encrypted with the console's own key.",
      'AwsSolutions-IAM5[Action::kms:ReEncrypt*]': "CDK's grant on the site bucket's key, which protects nothing but the public console files.",
      'AwsSolutions-IAM5[Resource::*]':
        'CloudFront CreateInvalidation/GetInvalidation after the copy (so the new page is served at once); CDK grants them on "*", and X-Ray takes only "*".',
    };
    for (const child of stack.node.children) {
      if (!child.node.id.startsWith('Custom::CDKBucketDeployment')) continue;
      for (const [id, reason] of Object.entries(findings)) acknowledge(child, id, `CDK's bucket-deployment function: ${reason}`);
    }
  }
}
