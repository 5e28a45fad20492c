/**
 * The Step Functions adapter against the SDK's real request and response shapes, mocked at the
 * client (Step Functions cannot run here).
 */
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { SfnWorkflowEngine } from '../../../core/adapters/aws/sfn-workflow-engine.js';

const machine = 'arn:aws:states:eu-west-1:123456789012:stateMachine:shutter-image';
const execution = 'arn:aws:states:eu-west-1:123456789012:execution:shutter-image:cat-jpg-0123';
const sfn = mockClient(SFNClient);
const engine = new SfnWorkflowEngine(new SFNClient({ region: 'eu-west-1' }), { image: machine });
const meta = { $metadata: { httpStatusCode: 400 } };

beforeEach(() => sfn.reset());

test('start: names the execution, and answers the existing one when Step Functions refuses a used name', async () => {
  sfn.on(StartExecutionCommand).resolvesOnce({ executionArn: execution, startDate: new Date('2025-01-01T00:00:00Z') });
  await expect(engine.start('image', { name: 'cat-jpg-0123', input: { imageId: 'img_1' } })).resolves.toEqual({
    executionArn: execution,
    startDate: '2025-01-01T00:00:00.000Z',
    existing: false,
  });
  expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({ stateMachineArn: machine, name: 'cat-jpg-0123', input: '{"imageId":"img_1"}' });

  sfn.reset();
  sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', ...meta }));
  sfn.on(DescribeExecutionCommand).resolves({ executionArn: execution, name: 'cat-jpg-0123', stateMachineArn: machine, status: 'SUCCEEDED', startDate: new Date('2025-01-01T00:00:00Z'), input: '{}' });
  await expect(engine.start('image', { name: 'cat-jpg-0123', input: {} })).resolves.toMatchObject({ executionArn: execution, existing: true });
  expect(engine.executionArn('image', 'cat-jpg-0123')).toBe(execution);
});

test('describe, list and history answer the port shapes; a missing execution is a 404', async () => {
  sfn.on(DescribeExecutionCommand).resolvesOnce({
    executionArn: execution,
    name: 'cat-jpg-0123',
    stateMachineArn: machine,
    status: 'FAILED',
    startDate: new Date('2025-01-01T00:00:00Z'),
    stopDate: new Date('2025-01-01T00:00:05Z'),
    input: '{"imageId":"img_1"}',
    error: 'ImageError',
    cause: '[ImageSource::CorruptImage] The source image is corrupt or truncated.',
    redriveCount: 1,
  });
  await expect(engine.describe(execution)).resolves.toEqual({
    executionArn: execution,
    name: 'cat-jpg-0123',
    workflow: 'image',
    status: 'FAILED',
    startDate: '2025-01-01T00:00:00.000Z',
    stopDate: '2025-01-01T00:00:05.000Z',
    redriveCount: 1,
    input: { imageId: 'img_1' },
    error: 'ImageError',
    cause: '[ImageSource::CorruptImage] The source image is corrupt or truncated.',
  });
  sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', ...meta }));
  await expect(engine.describe(execution)).rejects.toMatchObject({ status: 404, code: 'ExecutionDoesNotExist' });

  sfn
    .on(ListExecutionsCommand)
    .resolvesOnce({
      executions: [
        { executionArn: execution, stateMachineArn: machine, name: 'cat-jpg-0123', status: 'RUNNING', startDate: new Date('2025-01-01T00:00:00Z') },
        { executionArn: `${execution}x`, stateMachineArn: machine, name: 'dog-jpg-9', status: 'RUNNING', startDate: new Date('2025-01-01T00:00:00Z') },
      ],
      nextToken: 'page-2',
    })
    .resolvesOnce({ executions: [{ executionArn: `${execution}y`, stateMachineArn: machine, name: 'cat-png-7', status: 'RUNNING', startDate: new Date('2025-01-01T00:00:00Z') }] });
  const listed = await engine.list({ status: 'RUNNING', prefix: 'cat-', limit: 2 });
  expect(listed.executions.map((item) => item.name)).toEqual(['cat-jpg-0123', 'cat-png-7']);
  expect(sfn.commandCalls(ListExecutionsCommand)[0]!.args[0].input).toMatchObject({ stateMachineArn: machine, statusFilter: 'RUNNING', maxResults: 2 });
  await expect(engine.list({ status: 'QUEUED' })).resolves.toEqual({ executions: [] });

  sfn.on(GetExecutionHistoryCommand).resolves({
    events: [
      { id: 1, previousEventId: 0, timestamp: new Date('2025-01-01T00:00:00Z'), type: 'ExecutionStarted', executionStartedEventDetails: { input: '{}', roleArn: 'arn:aws:iam::123456789012:role/x' } },
      { id: 2, previousEventId: 1, timestamp: new Date('2025-01-01T00:00:01Z'), type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Inspect', input: '{}' } },
    ],
    nextToken: 'more',
  });
  await expect(engine.history(execution, { limit: 2 })).resolves.toEqual({
    events: [
      { id: 1, previousEventId: 0, timestamp: '2025-01-01T00:00:00.000Z', type: 'ExecutionStarted', executionStartedEventDetails: { input: '{}', roleArn: 'arn:aws:iam::123456789012:role/x' } },
      { id: 2, previousEventId: 1, timestamp: '2025-01-01T00:00:01.000Z', type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Inspect', input: '{}' } },
    ],
    cursor: 'more',
  });
});

test('redrive, stop and the task token calls; a token no one waits for is a 404; throttling is transient', async () => {
  sfn.on(RedriveExecutionCommand).resolves({ redriveDate: new Date('2025-01-02T00:00:00Z') });
  await expect(engine.redrive(execution)).resolves.toEqual({ redriveDate: '2025-01-02T00:00:00.000Z' });
  sfn.on(StopExecutionCommand).resolves({ stopDate: new Date('2025-01-02T00:00:00Z') });
  await expect(engine.stop(execution, { error: 'Shutter.StoppedByOperator' })).resolves.toEqual({ stopDate: '2025-01-02T00:00:00.000Z' });
  expect(sfn.commandCalls(StopExecutionCommand)[0]!.args[0].input).toEqual({ executionArn: execution, error: 'Shutter.StoppedByOperator' });

  sfn.on(SendTaskSuccessCommand).resolvesOnce({});
  await engine.sendTaskSuccess('token-1', { approved: true });
  expect(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input).toEqual({ taskToken: 'token-1', output: '{"approved":true}' });
  sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', ...meta }));
  await expect(engine.sendTaskSuccess('token-1', {})).rejects.toMatchObject({ status: 404, code: 'TaskDoesNotExist' });

  const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
  sfn.on(StopExecutionCommand).rejects(throttled);
  await expect(engine.stop(execution)).rejects.toMatchObject({ name: 'TransientError' });
  sfn.on(StopExecutionCommand).rejects(Object.assign(new Error('Bad request'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } }));
  await expect(engine.stop(execution)).rejects.toMatchObject({ status: 400, code: 'StepFunctions::Refused' });
  sfn.on(StopExecutionCommand).rejects(Object.assign(new Error('Service unavailable'), { $metadata: { httpStatusCode: 503 } }));
  await expect(engine.stop(execution)).rejects.toMatchObject({ name: 'TransientError' });
});
