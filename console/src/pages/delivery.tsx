/**
 * Delivery settings (issue #16): the origins, policies and mappings the image handler reads at run
 * time. Each kind is a list and an editor of its JSON value; the server validates with the same
 * schemas as the handler, and its message is shown next to the form. Edits carry the version they
 * started from (`If-Match`): when someone else saved first the server answers 412 and the editor
 * says so. Built-in policies (the presets) are shown read-only; a policy can be previewed.
 */
import { useState } from 'preact/hooks';
import { ApiError, type Session } from '../api.js';
import { JsonView } from '../components/json-view.js';
import { formatTime } from '../format.js';
import { usePolling } from '../polling.js';
import { href } from '../route.js';
import { PolicyPreview } from '../delivery/policy-preview.js';
import { deleteSetting, KINDS, listSettings, NAME_PATTERN, saveSetting, TEMPLATES, type Kind, type Setting } from '../delivery/settings-api.js';
import '../delivery/delivery.css';

const LABELS: Record<Kind, { title: string; one: string; about: string }> = {
  origins: { title: 'Origins', one: 'origin', about: 'Where images come from: a bucket ({"type":"s3","bucket":…}) or an HTTPS base URL ({"type":"https","baseUrl":…}).' },
  policies: { title: 'Policies', one: 'policy', about: 'Named edits and output rules, refined by the first rule whose conditions hold; URLs name them as ?preset=<name>.' },
  mappings: { title: 'Mappings', one: 'mapping', about: 'A host and/or path prefix routed to an origin and a default policy.' },
};

/** What the editor holds: a new setting, or an existing one at the version it was read. */
interface Draft {
  name: string;
  text: string;
  version?: number;
}

export function DeliveryPage({ session, query }: { session: Session; query: Record<string, string> }) {
  const kind: Kind = (KINDS as readonly string[]).includes(query.kind ?? '') ? (query.kind as Kind) : 'origins';
  const list = usePolling((signal) => listSettings(kind, signal), undefined, [kind]);
  const [draft, setDraft] = useState<Draft>();
  const [previewed, setPreviewed] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [listError, setListError] = useState<string>();
  const label = LABELS[kind];

  const startEditing = (next: Draft | undefined) => {
    setDraft(next);
    setNotice(undefined);
    setListError(undefined);
  };
  const remove = async (setting: Setting) => {
    if (!confirm(`Delete the ${label.one} "${setting.name}"?`)) return;
    try {
      await deleteSetting(kind, setting.name, setting.version!);
      setNotice(`Deleted ${setting.name}.`);
      setListError(undefined);
      if (draft?.name === setting.name) setDraft(undefined);
    } catch (error) {
      setListError(messageOf(error, setting.name));
    }
    list.reload();
  };

  return (
    <section class="delivery" data-kind={kind}>
      <div class="page-header">
        <h1>Delivery</h1>
        <span class="muted">Changes reach the image handler within SETTINGS_CACHE_SECONDS, without a deploy.</span>
      </div>
      <nav class="tabs" aria-label="Delivery settings">
        {KINDS.map((each) => (
          <a key={each} href={href(['delivery'], { kind: each })} class={each === kind ? 'active' : ''} aria-current={each === kind ? 'page' : undefined} onClick={() => startEditing(undefined)}>
            {LABELS[each].title}
          </a>
        ))}
      </nav>
      <div class="delivery-layout">
        <div class="card">
          <div class="card-head">
            <h2>{label.title}</h2>
            <button type="button" onClick={() => startEditing({ name: '', text: JSON.stringify(TEMPLATES[kind], null, 2) })}>
              New {label.one}
            </button>
          </div>
          <p class="muted small">{label.about}</p>
          {notice && (
            <p class="muted" role="status">
              {notice}
            </p>
          )}
          {listError && (
            <p class="error-box" role="alert">
              {listError}
            </p>
          )}
          {list.error && <p class="error-box">{list.error.message}</p>}
          <table class="table settings">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Value</th>
                <th scope="col">Changed</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(list.data ?? []).map((setting) => (
                <tr key={setting.name} data-setting={setting.name}>
                  <th scope="row">
                    {setting.name}
                    {setting.builtIn && <span class="badge"> built-in</span>}
                  </th>
                  <td>
                    <code class="setting-summary">{JSON.stringify(setting.value)}</code>
                  </td>
                  <td class="small muted">{setting.updatedAt ? `${formatTime(setting.updatedAt)}${setting.updatedBy ? ` by ${setting.updatedBy}` : ''} · v${setting.version}` : 'read-only'}</td>
                  <td class="row-actions">
                    {kind === 'policies' && (
                      <button type="button" class="secondary small" aria-label={`Preview ${setting.name}`} onClick={() => setPreviewed(setting.name)}>
                        Preview
                      </button>
                    )}
                    {setting.builtIn ? (
                      <button type="button" class="secondary small" aria-label={`View ${setting.name}`} onClick={() => startEditing({ name: setting.name, text: JSON.stringify(setting.value, null, 2) })}>
                        View
                      </button>
                    ) : (
                      <>
                        <button type="button" class="secondary small" aria-label={`Edit ${setting.name}`} onClick={() => startEditing({ name: setting.name, text: JSON.stringify(setting.value, null, 2), version: setting.version! })}>
                          Edit
                        </button>
                        <button type="button" class="secondary small danger" aria-label={`Delete ${setting.name}`} onClick={() => void remove(setting)}>
                          Delete
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
              {list.data?.length === 0 && (
                <tr>
                  <td colSpan={4} class="empty muted">
                    No {label.title.toLowerCase()} yet.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        {draft && (
          <SettingEditor
            key={`${kind}/${draft.name}/${draft.version ?? 'new'}`}
            kind={kind}
            draft={draft}
            readOnly={Boolean(list.data?.find((setting) => setting.name === draft.name)?.builtIn) && draft.version === undefined}
            onSaved={(saved) => {
              setNotice(`Saved ${saved.name} (version ${saved.version}).`);
              setDraft(undefined);
              list.reload();
            }}
            onReload={async () => {
              const fresh = (await listSettings(kind)).find((setting) => setting.name === draft.name);
              list.reload();
              setDraft(fresh ? { name: fresh.name, text: JSON.stringify(fresh.value, null, 2), version: fresh.version! } : { ...draft, version: undefined });
            }}
            onCancel={() => startEditing(undefined)}
          />
        )}
      </div>
      {kind === 'policies' && previewed && (
        <div class="card">
          <div class="card-head">
            <h2>Preview: {previewed}</h2>
            <button type="button" class="secondary small" onClick={() => setPreviewed(undefined)}>
              Close
            </button>
          </div>
          <PolicyPreview policy={previewed} session={session} />
        </div>
      )}
    </section>
  );
}

function SettingEditor(props: { kind: Kind; draft: Draft; readOnly: boolean; onSaved: (saved: Setting) => void; onReload: () => Promise<void>; onCancel: () => void }) {
  const { kind, draft, readOnly } = props;
  const isNew = draft.version === undefined && !readOnly;
  const [name, setName] = useState(draft.name);
  const [text, setText] = useState(draft.text);
  const [problem, setProblem] = useState<string>();
  const [conflict, setConflict] = useState(false);
  const [saving, setSaving] = useState(false);
  const one = LABELS[kind].one;

  const submit = async (event: Event) => {
    event.preventDefault();
    setConflict(false);
    // Cheap checks here; the schema itself is the server's, whose message is shown as it is.
    if (!NAME_PATTERN.test(name)) return setProblem('The name is lower-case letters, digits, "-" or "_" (at most 64), starting with a letter or digit.');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return setProblem(`The value is not JSON: ${(error as Error).message}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return setProblem('The value is a JSON object ({…}).');
    setSaving(true);
    try {
      props.onSaved(await saveSetting(kind, name, value, draft.version));
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) setConflict(true);
      setProblem(messageOf(error, name));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form class="card setting-editor" onSubmit={submit} aria-label={readOnly ? `Built-in ${one} ${name}` : isNew ? `New ${one}` : `Edit ${one} ${name}`} noValidate>
      <h2>{readOnly ? `${name} (built-in, read-only)` : isNew ? `New ${one}` : `Edit ${name}`}</h2>
      <label>
        Name
        <input name="name" value={name} readOnly={!isNew} required pattern={NAME_PATTERN.source} maxLength={64} autoComplete="off" spellcheck={false} onInput={(event) => setName(event.currentTarget.value)} />
      </label>
      {readOnly ? (
        <JsonView value={JSON.parse(text) as unknown} />
      ) : (
        <label>
          Value (JSON)
          <textarea name="value" rows={14} spellcheck={false} value={text} onInput={(event) => setText(event.currentTarget.value)} />
        </label>
      )}
      {problem && (
        <div class="error-box" role="alert">
          {problem}
          {conflict && (
            <p>
              <button type="button" class="secondary small" onClick={() => void props.onReload()}>
                Reload
              </button>
            </p>
          )}
        </div>
      )}
      <div class="actions">
        {!readOnly && (
          <button type="submit" disabled={saving}>
            {isNew ? 'Create' : 'Save'}
          </button>
        )}
        <button type="button" class="secondary" onClick={props.onCancel}>
          {readOnly ? 'Close' : 'Cancel'}
        </button>
        {!isNew && draft.version !== undefined && <span class="muted small">editing version {draft.version}</span>}
      </div>
    </form>
  );
}

/** The server's answer in words, with the two an operator must act on spelled out. */
function messageOf(error: unknown, name: string): string {
  if (!(error instanceof ApiError)) return String(error);
  if (error.status === 412) return `Someone else saved "${name}" first — reload to see their version, then make your change again.`;
  return `${error.code}: ${error.message}`;
}
