/**
 * The URL-signing secret (SIH's SecretsManagerSecret / SecretsManagerKey): an existing secret
 * named by the user, or one the platform creates with a random 64-character key. Its SecretString
 * is SIH's JSON, e.g. `{"signatureKey":"..."}`, read by `core/adapters/aws/secrets-manager-secrets.ts`.
 */
import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge.js';

export interface SigningSecretProps {
  /** An existing secret's name. @default a new secret */
  secretName?: string;
  /** The JSON key inside the secret that holds the signing key. */
  secretKey: string;
  /** Encrypts a created secret. */
  encryptionKey: kms.IKey;
}

export class SigningSecret extends Construct {
  readonly secret: secretsmanager.ISecret;
  /** What the image handler passes as SecretId (SIH's SECRETS_MANAGER): the name or the ARN. */
  readonly secretId: string;
  readonly secretKey: string;
  private readonly encryptionKey: kms.IKey | undefined;
  /** The ARN IAM matches: a secret known by name only ends with Secrets Manager's 6-character suffix. */
  private readonly policyArn: string;

  constructor(scope: Construct, id: string, props: SigningSecretProps) {
    super(scope, id);
    this.secretKey = props.secretKey;
    if (props.secretName) {
      this.secret = secretsmanager.Secret.fromSecretNameV2(this, 'Secret', props.secretName);
      this.secretId = props.secretName;
      this.policyArn = `${this.secret.secretArn}-??????`;
      return;
    }
    const secret = new secretsmanager.Secret(this, 'Secret', {
      description: 'shutter: HMAC key for signed image URLs (SIH format)',
      encryptionKey: props.encryptionKey,
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: props.secretKey,
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      secret,
      'AwsSolutions-SMG4',
      'Rotating the signing key invalidates every signed URL already published; rotate deliberately (put a new value) when the URLs are re-issued.',
    );
    this.secret = secret;
    this.secretId = secret.secretArn;
    this.policyArn = secret.secretArn;
    this.encryptionKey = props.encryptionKey;
  }

  /** GetSecretValue on this secret only, and its key only through Secrets Manager. */
  grantRead(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.policyArn],
      }),
    );
    if (this.encryptionKey) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [this.encryptionKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
        }),
      );
    }
  }
}
