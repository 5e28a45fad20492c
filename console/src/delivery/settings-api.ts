/**
 * The console's side of the delivery settings API (`/api/origins`, `/api/policies`,
 * `/api/mappings`): each setting travels with its version, sent back as `If-Match` on an edit so
 * two operators cannot overwrite each other unknowingly (412 `Settings::VersionMismatch`).
 */
import { api, apiPath } from '../api.js';

export const KINDS = ['origins', 'policies', 'mappings'] as const;
export type Kind = (typeof KINDS)[number];

export interface Setting {
  name: string;
  value: Record<string, unknown>;
  /** Absent on built-in policies (the presets), which are read-only. */
  version?: number;
  updatedAt?: string;
  updatedBy?: string;
  builtIn?: boolean;
}

/** The server's own rule for names (core/delivery-settings.ts `SettingName`), checked before sending. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function listSettings(kind: Kind, signal?: AbortSignal): Promise<Setting[]> {
  return api.get<{ items: Setting[] }>(apiPath(kind), signal).then((answer) => answer.items);
}

/** Creates (no `version`: only if the name is free) or replaces exactly `version`. */
export function saveSetting(kind: Kind, name: string, value: unknown, version?: number): Promise<Setting> {
  return api.putJson<Setting>(apiPath(kind, name), value, version === undefined ? { 'If-None-Match': '*' } : { 'If-Match': `"${version}"` });
}

export function deleteSetting(kind: Kind, name: string, version: number): Promise<void> {
  return api.delete<void>(apiPath(kind, name), { 'If-Match': `"${version}"` });
}

/** A blank value to start from, one per kind, shaped as the schema wants it. */
export const TEMPLATES: Record<Kind, Record<string, unknown>> = {
  origins: { type: 's3', bucket: 'images' },
  policies: { edits: { resize: { width: 800, fit: 'inside', withoutEnlargement: true } }, output: { quality: 80 } },
  mappings: { pathPrefix: '/shop', origin: 'images' },
};
