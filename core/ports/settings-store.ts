import { RequestError } from '../errors.js';
import type { SettingKind } from '../delivery-settings.js';

/** One stored setting: its value as validated JSON, and a version that grows with every change. */
export interface StoredSetting {
  kind: SettingKind;
  name: string;
  value: unknown;
  /** 1 on creation, +1 on every change: what optimistic concurrency compares (`If-Match`). */
  version: number;
  updatedAt: string;
  updatedBy?: string;
}

/**
 * Expected state for a write: `absent` to create only, a version to change only that version,
 * undefined to write whatever is there (last writer wins).
 */
export type ExpectedVersion = number | 'absent' | undefined;

/**
 * Where delivery settings (origins, policies, mappings) live: SQLite locally, DynamoDB in AWS.
 * Every adapter passes the same contract suite (`test/core/settings-store-contract.ts`).
 *
 * A write whose expectation does not hold throws `RequestError` `Settings::VersionMismatch` (412);
 * the store never validates values (the API does, with `core/delivery-settings.ts`).
 */
export interface SettingsStore {
  list(kind: SettingKind): Promise<StoredSetting[]>;
  get(kind: SettingKind, name: string): Promise<StoredSetting | undefined>;
  put(kind: SettingKind, name: string, value: unknown, options?: { expected?: ExpectedVersion; by?: string }): Promise<StoredSetting>;
  /** Resolves to whether something was deleted. */
  delete(kind: SettingKind, name: string, options?: { expected?: ExpectedVersion }): Promise<boolean>;
}

/** The one error of a conditional write that lost: 412, as HTTP's If-Match. Every adapter throws it. */
export function versionMismatch(kind: string, name: string): RequestError {
  return new RequestError('Settings::VersionMismatch', `The ${kind} setting "${name}" has changed (or exists, or is gone) since it was read: read it again, then retry.`, 412);
}
