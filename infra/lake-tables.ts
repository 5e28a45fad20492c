/**
 * The Glue tables over the log bucket. `events` and `access_logs` are partitioned by day with
 * partition projection (no crawler, no MSCK REPAIR: Athena computes the partitions from the
 * `dt=YYYY-MM-DD/` layout), so a query with a `dt` predicate reads only those days.
 */
import type * as glue from 'aws-cdk-lib/aws-glue';
import { EVENTS_TABLE as EVENTS, glueViewInput, hiveType } from '../analytics/tables.js';

export interface LakeTable {
  name: string;
  description: string;
  /** Prefix in the log bucket. */
  prefix: string;
  columns: glue.CfnTable.ColumnProperty[];
  /** `dt` (yyyy-MM-dd) partitions projected from `<prefix>dt=…/`. */
  dailyPartitions: boolean;
  format: 'json-lines' | 'cloudfront-standard-log';
}

const string = (name: string, comment?: string) => ({
  name,
  type: 'string',
  ...(comment ? { comment } : {}),
});

/**
 * The CloudEvents of `core/ports/event-sink.ts`, with the column types DuckDB reads locally
 * (analytics/tables.ts): `data` is a struct, so the dashboard queries' `data.bytes` runs on Athena as is.
 */
export const EVENTS_TABLE: LakeTable = {
  name: EVENTS.name,
  description: 'shutter events (CloudEvents JSON), archived from Kafka',
  prefix: EVENTS.location,
  columns: EVENTS.columns.map((column) => ({ name: column.name, type: hiveType(column.type), comment: column.comment })),
  dailyPartitions: true,
  format: 'json-lines',
};

/** The views over `events` (`events_once`, which every dashboard query reads), as Glue views in `database`. */
export function lakeViews(database: string) {
  return (EVENTS.views ?? []).map((view) => glueViewInput(view, EVENTS, database));
}

/** The access log format set on the API stage (`image-delivery.ts`); JSON keys are matched case-insensitively. */
export const ACCESS_LOGS_TABLE: LakeTable = {
  name: 'access_logs',
  description: 'API Gateway access logs of the image API',
  prefix: 'access-logs/',
  columns: [
    string('requestid'),
    { name: 'time', type: 'bigint', comment: 'epoch milliseconds' },
    string('ip'),
    string('method'),
    string('path'),
    { name: 'status', type: 'int' },
    string('bytes', 'response bytes ("-" when none)'),
    { name: 'latencyms', type: 'int' },
    string('integrationlatencyms', 'Lambda time in ms ("-" when not reached)'),
    string('useragent'),
    string('errormessage'),
  ],
  dailyPartitions: true,
  format: 'json-lines',
};

/** CloudFront standard log fields, in file order (tab-separated, two header lines). */
export const CLOUDFRONT_LOGS_TABLE: LakeTable = {
  name: 'cloudfront_logs',
  description:
    'CloudFront standard logs of the image distribution (not partitioned: CloudFront writes one flat prefix)',
  prefix: 'cloudfront/',
  columns: [
    { name: 'date', type: 'date' },
    string('time'),
    string('x_edge_location'),
    { name: 'sc_bytes', type: 'bigint' },
    string('c_ip'),
    string('cs_method'),
    string('cs_host'),
    string('cs_uri_stem'),
    { name: 'sc_status', type: 'int' },
    string('cs_referrer'),
    string('cs_user_agent'),
    string('cs_uri_query'),
    string('cs_cookie'),
    string('x_edge_result_type', 'Hit, RefreshHit, Miss, Error, ...'),
    string('x_edge_request_id'),
    string('x_host_header'),
    string('cs_protocol'),
    { name: 'cs_bytes', type: 'bigint' },
    { name: 'time_taken', type: 'float' },
    string('x_forwarded_for'),
    string('ssl_protocol'),
    string('ssl_cipher'),
    string('x_edge_response_result_type'),
    string('cs_protocol_version'),
    string('fle_status'),
    string('fle_encrypted_fields'),
    { name: 'c_port', type: 'int' },
    { name: 'time_to_first_byte', type: 'float' },
    string('x_edge_detailed_result_type'),
    string('sc_content_type'),
    { name: 'sc_content_len', type: 'bigint' },
    { name: 'sc_range_start', type: 'bigint' },
    { name: 'sc_range_end', type: 'bigint' },
  ],
  dailyPartitions: false,
  format: 'cloudfront-standard-log',
};

export const LAKE_TABLES: readonly LakeTable[] = [EVENTS_TABLE, ACCESS_LOGS_TABLE, CLOUDFRONT_LOGS_TABLE];
