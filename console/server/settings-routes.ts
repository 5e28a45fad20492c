/**
 * The delivery settings API, for operators (every `/api/` route answers only to the console's
 * credentials): `/api/origins`, `/api/policies`, `/api/mappings`, each a collection of named
 * settings (`GET` the list, `GET|PUT|DELETE /<name>`).
 *
 * - Values are validated with the schemas of `core/delivery-settings.ts` (400 `Settings::Invalid`,
 *   every problem with its path); references must resolve (a mapping's origin and policy: 400
 *   `Settings::UnknownReference`), and what a mapping uses cannot be deleted (409 `Settings::InUse`).
 * - Optimistic concurrency with ETags: a setting's ETag is its version; `If-Match` on PUT/DELETE
 *   writes only that version, `If-None-Match: *` creates only (412 `Settings::VersionMismatch`).
 * - The built-in presets are read-only policies (listed with `builtIn: true`; 409 `Settings::BuiltIn`).
 * - Every change is an audit event, `settings.changed`, with the operator's name.
 */
import { buildEvent } from '../../core/events/build-event.js';
import { NotFoundError, RequestError } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { SETTING_KINDS, SETTING_SCHEMAS, SettingName, type MappingSetting, type SettingKind } from '../../core/delivery-settings.js';
import type { EventSink } from '../../core/ports/event-sink.js';
import type { ExpectedVersion, SettingsStore, StoredSetting } from '../../core/ports/settings-store.js';
import type { PresetCatalog } from '../../core/presets.js';
import { decodePathParam, header, json, type HttpRequest, type HttpResponse } from '../../api/http.js';
import { readJsonBody } from './read-json-body.js';
import type { Route } from '../../api/router.js';
import { ownEntry } from '../../core/own-entry.js';

export interface SettingsRoutesDeps {
  store: SettingsStore;
  events: EventSink;
  /** The built-in policies: the presets (PRESETS_FILE over the defaults). */
  presets: Readonly<PresetCatalog>;
}

const KIND = `(${SETTING_KINDS.join('|')})`;
const noStore = { 'Cache-Control': 'no-store' };
const etagOf = (setting: StoredSetting) => `"${setting.version}"`;
const view = (setting: StoredSetting) => ({ name: setting.name, value: setting.value, version: setting.version, updatedAt: setting.updatedAt, ...(setting.updatedBy ? { updatedBy: setting.updatedBy } : {}) });

export function settingsRoutes(deps: SettingsRoutesDeps): Route[] {
  const { store, presets } = deps;

  const nameOf = (encoded: string): string => {
    const name = decodePathParam(encoded, 'setting name');
    if (!SettingName.safeParse(name).success) {
      throw new RequestError('Settings::InvalidName', 'A setting name is lower-case letters, digits, "-" or "_", at most 64 characters.');
    }
    return name;
  };

  async function audit(kind: SettingKind, name: string, change: 'created' | 'updated' | 'deleted', version: number, by: string | undefined): Promise<void> {
    await deps.events.publish([buildEvent('settings.changed', { source: 'shutter/api', subject: `settings/${kind}/${name}`, data: { kind, name, change, version, ...(by ? { by } : {}) } })]);
  }

  /** A mapping's origin and policy must exist; a stored origin or policy a mapping uses must stay. */
  async function checkReferences(kind: SettingKind, value: unknown): Promise<void> {
    if (kind !== 'mappings') return;
    const mapping = value as MappingSetting;
    const missing: string[] = [];
    if (!(await store.get('origins', mapping.origin))) missing.push(`origin "${mapping.origin}"`);
    if (mapping.policy && !ownEntry(presets, mapping.policy) && !(await store.get('policies', mapping.policy))) missing.push(`policy "${mapping.policy}"`);
    if (missing.length) throw new RequestError('Settings::UnknownReference', `The mapping refers to ${missing.join(' and ')}, which does not exist.`);
  }

  async function usedBy(kind: SettingKind, name: string): Promise<string[]> {
    if (kind === 'mappings') return [];
    const field = kind === 'origins' ? 'origin' : 'policy';
    const mappings = await store.list('mappings');
    return mappings.filter((mapping) => (mapping.value as Record<string, unknown>)[field] === name).map((mapping) => mapping.name);
  }

  const expectedFrom = (request: HttpRequest): ExpectedVersion => {
    const ifMatch = header(request, 'if-match');
    if (ifMatch !== undefined) {
      const version = /^(?:W\/)?"(\d{1,15})"$/.exec(ifMatch.trim());
      if (!version) throw new RequestError('Settings::VersionMismatch', 'If-Match must be the ETag a GET answered ("<version>").', 412);
      return Number(version[1]);
    }
    return header(request, 'if-none-match')?.trim() === '*' ? 'absent' : undefined;
  };

  return [
    {
      name: 'settings',
      method: 'GET',
      path: new RegExp(`^/api/${KIND}$`),
      handle: async (_request, [kind]) => {
        const stored = (await store.list(kind as SettingKind)).map(view);
        const builtIn = kind === 'policies' ? Object.entries(presets).map(([name, preset]) => ({ name, value: preset, builtIn: true })) : [];
        return json(200, { items: [...builtIn, ...stored] }, noStore);
      },
    },
    {
      name: 'settings',
      method: ['GET', 'PUT', 'DELETE'],
      path: new RegExp(`^/api/${KIND}/([^/]+)$`),
      handle: async (request, [kindText, encoded]): Promise<HttpResponse> => {
        const kind = kindText as SettingKind;
        const name = nameOf(encoded!);
        const builtIn = kind === 'policies' ? ownEntry(presets, name) : undefined;
        if (builtIn) {
          if (request.method === 'GET') return json(200, { name, value: builtIn, builtIn: true }, noStore);
          throw new RequestError('Settings::BuiltIn', `"${name}" is a built-in preset; choose another name for a policy.`, 409);
        }
        if (request.method === 'GET') {
          const setting = await store.get(kind, name);
          if (!setting) throw new NotFoundError('Settings::NotFound', `There is no ${kind} setting named "${name}".`);
          return json(200, view(setting), { ...noStore, ETag: etagOf(setting) });
        }
        const expected = expectedFrom(request);
        if (request.method === 'DELETE') {
          const users = await usedBy(kind, name);
          if (users.length) throw new RequestError('Settings::InUse', `The ${kind} setting "${name}" is used by the mappings ${users.join(', ')}.`, 409);
          const before = await store.get(kind, name);
          if (!(await store.delete(kind, name, { expected }))) throw new NotFoundError('Settings::NotFound', `There is no ${kind} setting named "${name}".`);
          await audit(kind, name, 'deleted', before?.version ?? 0, request.operator);
          return { status: 204, headers: noStore };
        }
        const parsed = SETTING_SCHEMAS[kind].safeParse(await readJsonBody(request, LIMITS.consoleJsonBodyBytes));
        if (!parsed.success) {
          const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(value)'}: ${issue.message}`);
          throw new RequestError('Settings::Invalid', `The ${kind} setting is invalid: ${problems.join('; ')}.`);
        }
        await checkReferences(kind, parsed.data);
        const saved = await store.put(kind, name, parsed.data, { expected, ...(request.operator ? { by: request.operator } : {}) });
        await audit(kind, name, saved.version === 1 ? 'created' : 'updated', saved.version, request.operator);
        return json(saved.version === 1 ? 201 : 200, view(saved), { ...noStore, ETag: etagOf(saved) });
      },
    },
  ];
}
