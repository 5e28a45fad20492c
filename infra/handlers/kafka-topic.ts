/**
 * The custom resource (`Custom::KafkaTopic`) that creates the platform's topic: MSK Serverless
 * does not create topics on first use, so without it every publish fails. It runs in the
 * streaming VPC and speaks the Kafka admin API with MSK IAM auth (`core/adapters/aws/kafka-client.ts`).
 *
 * - Create and Update are idempotent: an existing topic is kept (with its data), and a larger
 *   `Partitions` adds partitions (Kafka cannot remove any: a smaller number fails the update).
 * - Delete keeps the topic and its events unless `DeleteOnStackDelete` is `true`.
 *
 * CloudFormation invokes the function directly and waits for the answer PUT to `ResponseURL`;
 * the answer is always sent, failure included, before the function's time runs out, so a stack
 * never hangs for CloudFormation's hour-long custom resource timeout.
 */
import { Kafka } from 'kafkajs';
import { kafkaConfig } from '../../core/adapters/aws/kafka-client.js';

/** The resource's properties, as CloudFormation passes them (strings). */
export interface KafkaTopicProperties {
  /** `host:port,host:port` (MSK's BootstrapBrokerStringSaslIam). */
  Brokers: string;
  Topic: string;
  Partitions: string;
  /** `iam` (MSK) or `none`. */
  Sasl: 'iam' | 'none';
  Tls: 'true' | 'false';
  /** `true`: a stack deletion (or a topic rename) deletes the topic and its events. */
  DeleteOnStackDelete: 'true' | 'false';
}

export interface CustomResourceEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  PhysicalResourceId?: string;
  ResourceProperties: KafkaTopicProperties & { ServiceToken?: string };
  OldResourceProperties?: KafkaTopicProperties;
}

export interface CustomResourceResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data?: Record<string, string>;
}

/** What the function does with the topic, given a client for the cluster. */
export async function run(event: CustomResourceEvent, kafka: Kafka): Promise<{ physicalId: string; data: Record<string, string> }> {
  const props = event.ResourceProperties;
  const topic = props.Topic;
  const partitions = Number(props.Partitions);
  // A Delete never fails on its properties: a stack must always be deletable.
  if (event.RequestType !== 'Delete') {
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic)) throw new Error(`Topic: "${topic}" is not a valid Kafka topic name`);
    if (!Number.isSafeInteger(partitions) || partitions < 1) throw new Error(`Partitions: expected a positive whole number, got "${props.Partitions}"`);
  } else if (props.DeleteOnStackDelete !== 'true' || event.PhysicalResourceId !== topic) {
    // Kept, or not ours: the id is the topic this resource created, and a failed Create owns
    // nothing. (After a rename, CloudFormation deletes the old resource with its old properties.)
    return { physicalId: event.PhysicalResourceId ?? topic, data: {} };
  }
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (event.RequestType === 'Delete') {
      if ((await admin.listTopics()).includes(topic)) await admin.deleteTopics({ topics: [topic] });
      return { physicalId: topic, data: {} };
    }
    const existing = (await admin.listTopics()).includes(topic);
    if (!existing) {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    } else {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      const current = metadata.topics[0]?.partitions.length ?? 0;
      if (partitions < current)
        throw new Error(`Partitions: topic "${topic}" has ${current} partitions; Kafka cannot reduce them to ${partitions}`);
      if (partitions > current) await admin.createPartitions({ topicPartitions: [{ topic, count: partitions }] });
    }
    return { physicalId: topic, data: { Topic: topic } };
  } finally {
    await admin.disconnect();
  }
}

/** PUTs the answer to CloudFormation's pre-signed URL (an S3 object, reached through the VPC's S3 endpoint). */
async function respond(url: string, response: CustomResourceResponse): Promise<void> {
  const body = JSON.stringify(response);
  // The URL is signed without a content type: send none.
  const answer = await fetch(url, { method: 'PUT', body, headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) } });
  if (!answer.ok) throw new Error(`CloudFormation's response URL answered ${answer.status}`);
}

/** How long before the function's own timeout the answer is sent, whatever the admin call is doing. */
const ANSWER_MARGIN_MS = 10_000;

export async function handler(event: CustomResourceEvent, context: { getRemainingTimeInMillis(): number }): Promise<void> {
  const base = { StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId };
  const props = event.ResourceProperties;
  let response: CustomResourceResponse;
  let timer: NodeJS.Timeout | undefined;
  try {
    const kafka = new Kafka(
      kafkaConfig(
        {
          brokers: props.Brokers.split(',').map((broker) => broker.trim()).filter(Boolean),
          topic: props.Topic,
          sasl: props.Sasl,
          tls: props.Tls === 'true',
          clientId: 'shutter-topic-admin',
        },
        process.env.AWS_REGION,
      ),
    );
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error('Timed out talking to Kafka (is the cluster reachable from the function’s subnets?)')),
        Math.max(1_000, context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS),
      );
    });
    const { physicalId, data } = await Promise.race([run(event, kafka), deadline]);
    response = { ...base, Status: 'SUCCESS', PhysicalResourceId: physicalId, Data: data };
  } catch (error) {
    console.error(JSON.stringify({ level: 'error', msg: 'kafka topic custom resource failed', requestType: event.RequestType, error: (error as Error).message }));
    response = {
      ...base,
      Status: 'FAILED',
      Reason: (error as Error).message.slice(0, 400),
      // A failed create owns nothing: its rollback Delete must not touch a topic of that name.
      PhysicalResourceId: event.PhysicalResourceId ?? `failed-${event.RequestId}`,
    };
  } finally {
    clearTimeout(timer);
  }
  await respond(event.ResponseURL, response);
}
