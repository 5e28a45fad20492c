/**
 * Delivery settings in a DynamoDB table (`SETTINGS_TABLE`): partition key `kind`, sort key
 * `name`, the value as a JSON string and a numeric `version`. Conditional writes
 * (`ConditionExpression` on the version) make concurrent saves safe across every Lambda.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { SettingKind } from '../../delivery-settings.js';
import { ShutterError, TransientError } from '../../errors.js';
import { versionMismatch, type ExpectedVersion, type SettingsStore, type StoredSetting } from '../../ports/settings-store.js';

type Item = Record<string, AttributeValue>;

export class DynamoDbSettingsStore implements SettingsStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(kind: SettingKind): Promise<StoredSetting[]> {
    const settings: StoredSetting[] = [];
    let start: Item | undefined;
    do {
      const page = await this.call(() =>
        this.client.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'kind = :kind',
            ExpressionAttributeValues: { ':kind': { S: kind } },
            ConsistentRead: true,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      settings.push(...(page.Items ?? []).map(toSetting));
      start = page.LastEvaluatedKey;
    } while (start);
    return settings;
  }

  async get(kind: SettingKind, name: string): Promise<StoredSetting | undefined> {
    const { Item } = await this.call(() => this.client.send(new GetItemCommand({ TableName: this.table, Key: key(kind, name), ConsistentRead: true })));
    return Item && toSetting(Item);
  }

  async put(kind: SettingKind, name: string, value: unknown, options: { expected?: ExpectedVersion; by?: string } = {}): Promise<StoredSetting> {
    const at = this.now().toISOString();
    const values: Item = { ':value': { S: JSON.stringify(value) }, ':zero': { N: '0' }, ':one': { N: '1' }, ':at': { S: at } };
    if (options.by) values[':by'] = { S: options.by };
    const { expected } = options;
    if (expected === 'absent') {
      const item: Item = { ...key(kind, name), value: { S: JSON.stringify(value) }, version: { N: '1' }, updatedAt: { S: at }, ...(options.by ? { updatedBy: { S: options.by } } : {}) };
      await this.call(() => this.client.send(new PutItemCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(kind)' })), kind, name);
      return toSetting(item);
    }
    const { Attributes } = await this.call(
      () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: key(kind, name),
            UpdateExpression: `SET #value = :value, version = if_not_exists(version, :zero) + :one, updatedAt = :at${options.by ? ', updatedBy = :by' : ' REMOVE updatedBy'}`,
            ...(expected === undefined ? {} : { ConditionExpression: 'version = :expected' }),
            ExpressionAttributeNames: { '#value': 'value' },
            ExpressionAttributeValues: expected === undefined ? values : { ...values, ':expected': { N: String(expected) } },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      kind,
      name,
    );
    return toSetting(Attributes!);
  }

  async delete(kind: SettingKind, name: string, options: { expected?: ExpectedVersion } = {}): Promise<boolean> {
    const { expected } = options;
    if (expected === 'absent') throw versionMismatch(kind, name);
    const { Attributes } = await this.call(
      () =>
        this.client.send(
          new DeleteItemCommand({
            TableName: this.table,
            Key: key(kind, name),
            ...(expected === undefined ? {} : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': { N: String(expected) } } }),
            ReturnValues: 'ALL_OLD',
          }),
        ),
      kind,
      name,
    );
    return !!Attributes;
  }

  /** DynamoDB's answer, its refused condition as a version mismatch, any other failure as a passing fault. */
  private async call<T>(send: () => Promise<T>, kind?: string, name?: string): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException && kind && name) throw versionMismatch(kind, name);
      if (error instanceof ShutterError) throw error;
      throw new TransientError('Settings::Unavailable', 'The settings store could not be reached.', 503, { cause: error });
    }
  }
}

function key(kind: string, name: string): Item {
  return { kind: { S: kind }, name: { S: name } };
}

function toSetting(item: Item): StoredSetting {
  return {
    kind: item.kind!.S as SettingKind,
    name: item.name!.S!,
    value: JSON.parse(item.value!.S!) as unknown,
    version: Number(item.version!.N),
    updatedAt: item.updatedAt!.S!,
    ...(item.updatedBy?.S ? { updatedBy: item.updatedBy.S } : {}),
  };
}
