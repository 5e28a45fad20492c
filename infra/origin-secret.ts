/**
 * The secret CloudFront sends to the image API as the `x-shutter-origin` header
 * (`api/origin-guard.ts`), so the regional API Gateway endpoint, public by nature, answers 403 to
 * anyone who calls it directly: no bypass of the cache, the WAF or the distribution's logs.
 *
 * Its SecretString is `{"current": "<64 characters>"}`; `previous` joins during a rotation.
 * CloudFront reads `current` through a CloudFormation dynamic reference, resolved at deploy, so a
 * rotation is: put a new `current` (and the old one as `previous`), deploy (CloudFront picks the
 * new value), then drop `previous` (docs/deploy.md, "Rotating the origin secret").
 */
import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ORIGIN_HEADER, ORIGIN_SECRET_KEYS } from '../api/origin-guard.js';
import { acknowledge } from './acknowledge.js';

export interface OriginSecretProps {
  encryptionKey: kms.IKey;
}

export class OriginSecret extends Construct {
  readonly secret: secretsmanager.Secret;
  /** The header CloudFront adds. */
  readonly headerName = ORIGIN_HEADER;
  private readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: OriginSecretProps) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    const [current] = ORIGIN_SECRET_KEYS;
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: 'shutter: the origin header CloudFront adds to image API requests ({"current", "previous"})',
      encryptionKey: props.encryptionKey,
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: current,
        passwordLength: 64,
        excludePunctuation: true,
      },
      // Nothing outside this stack depends on it: a new stack generates a new one.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.secret,
      'AwsSolutions-SMG4',
      'CloudFront must send the new value before the old one stops working, so rotation is the documented two-step procedure (docs/deploy.md): the handler accepts "current" and "previous" meanwhile.',
    );
  }

  /** What CloudFront sends: `current`, resolved by CloudFormation at deploy (never in the template). */
  get headerValue(): string {
    return this.secret.secretValueFromJson(ORIGIN_SECRET_KEYS[0]).unsafeUnwrap();
  }

  /** GetSecretValue on this secret only, and its key only through Secrets Manager. */
  grantRead(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.secret.secretArn] }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [this.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
      }),
    );
  }
}
