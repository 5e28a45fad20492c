/**
 * The role the pipeline's smoke test (`smoke-test.ts`) assumes in a stage's account: it may put
 * objects under `smoke/` in the images and uploads buckets, follow the image workflow's
 * executions and read the signing key — what the test does, nothing more. Trusted by the
 * pipeline's account only.
 */
import { ArnFormat, CfnOutput, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge, findingRef, findingText } from '../acknowledge.js';
import type { ImagePlatform } from '../image-platform.js';
import { IMAGE_STATE_MACHINE } from '../workflow-tasks.js';
import type { CfnResource } from 'aws-cdk-lib';

/** Where smoke-test objects go, in the images and uploads buckets. */
export const SMOKE_PREFIX = 'smoke/';

export class SmokeTestRole extends Construct {
  readonly role: iam.Role;
  readonly output: CfnOutput;

  constructor(scope: Construct, id: string, props: { platform: ImagePlatform; pipelineAccount: string }) {
    super(scope, id);
    const { storage, workflows, signing } = props.platform;
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.AccountPrincipal(props.pipelineAccount),
      description: 'shutter: the deployment pipeline smoke test (puts smoke/ objects, follows the image workflow)',
    });
    storage.images.grantPut(this.role, `${SMOKE_PREFIX}*`);
    storage.uploads.grantPut(this.role, `${SMOKE_PREFIX}*`);
    const machine = workflows.stateMachines[IMAGE_STATE_MACHINE]!;
    const stack = Stack.of(this);
    const machineName = stack.splitArn(machine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName!;
    const executions = stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${machineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: [machine.stateMachineArn] }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }));
    signing?.grantRead(this.role);

    for (const bucket of [storage.images, storage.uploads]) {
      acknowledge(
        this.role,
        `AwsSolutions-IAM5[Resource::${findingRef(bucket.node.defaultChild as CfnResource)}/${SMOKE_PREFIX}*]`,
        'The smoke test writes a fresh key per run, under the smoke/ prefix only.',
      );
    }
    for (const action of ['Action::s3:Abort*', 'Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*'])
      acknowledge(this.role, `AwsSolutions-IAM5[${action}]`, "CDK's grantPut: the multipart-upload and KMS actions an encrypted put needs, on the two buckets and the data key only.");
    acknowledge(
      this.role,
      `AwsSolutions-IAM5[Resource::${findingText(this, executions)}]`,
      'Execution ARNs are named when an upload starts one; the pattern covers the image state machine only.',
    );
    this.output = new CfnOutput(this, 'Arn', { value: this.role.roleArn, description: 'Assumed by the pipeline smoke test' });
  }
}
