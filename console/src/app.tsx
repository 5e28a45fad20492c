/** The console's frame: the session (or the sign-in form), the navigation, and the page of the route. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError, onSignedOut, setCsrfToken, type Session } from './api.js';
import { href, useRoute } from './route.js';
import { SignIn } from './pages/sign-in.js';
import { ExecutionsPage } from './pages/executions.js';
import { ExecutionPage } from './pages/execution.js';
import { ImagesPage } from './pages/images.js';
import { ImagePage } from './pages/image.js';
import { ModerationPage } from './pages/moderation.js';
import { AnalyticsPage } from './pages/analytics.js';
import { PlaygroundPage } from './pages/playground.js';
import { ApiReferencePage } from './pages/api-reference.js';
import { DeliveryPage } from './pages/delivery.js';

const PAGES = [
  { segment: 'executions', label: 'Executions' },
  { segment: 'images', label: 'Images' },
  { segment: 'moderation', label: 'Moderation' },
  { segment: 'analytics', label: 'Analytics' },
  { segment: 'playground', label: 'Playground' },
  { segment: 'delivery', label: 'Delivery' },
  { segment: 'api', label: 'API' },
] as const;

export function App() {
  const [session, setSession] = useState<Session | null>();
  const [failure, setFailure] = useState<string>();

  const load = useCallback(async () => {
    try {
      const value = await api.get<Session>('/api/console/session');
      setCsrfToken(value.csrfToken);
      setSession(value);
      setFailure(undefined);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) setSession(null);
      else setFailure(error instanceof Error ? error.message : String(error));
    }
  }, []);

  useEffect(() => {
    void load();
    return onSignedOut(() => setSession(null));
  }, [load]);

  if (failure) return <main class="centered"><p class="error-box">The console cannot reach its API: {failure}</p></main>;
  if (session === undefined) return <main class="centered"><p class="muted">Loading…</p></main>;
  if (session === null) return <SignIn onSignedIn={load} />;
  return <Shell session={session} onSignOut={async () => { await api.delete('/api/console/session'); setSession(null); }} />;
}

function Shell({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const route = useRoute();
  const [section = 'executions', ...rest] = route.segments;
  let page;
  switch (section) {
    case 'executions':
      // Keyed by id: another execution starts with a fresh view, selection and polling.
      page = rest.length ? <ExecutionPage key={rest.join('/')} id={rest.join('/')} session={session} /> : <ExecutionsPage query={route.query} />;
      break;
    case 'images':
      page = rest.length >= 2 ? <ImagePage bucket={rest[0]!} imageKey={rest.slice(1).join('/')} session={session} /> : <ImagesPage session={session} query={route.query} />;
      break;
    case 'moderation':
      page = <ModerationPage session={session} />;
      break;
    case 'analytics':
      page = <AnalyticsPage />;
      break;
    case 'playground':
      page = <PlaygroundPage session={session} query={route.query} />;
      break;
    case 'delivery':
      page = <DeliveryPage session={session} query={route.query} />;
      break;
    case 'api':
      page = <ApiReferencePage />;
      break;
    default:
      page = <p class="error-box">There is no page “{section}”.</p>;
  }
  return (
    <>
      <header class="topbar">
        <a class="brand" href="#/executions">
          shutter <span>console</span>
        </a>
        <nav aria-label="Console">
          {PAGES.map((item) => (
            <a key={item.segment} href={href([item.segment])} class={section === item.segment ? 'active' : ''} aria-current={section === item.segment ? 'page' : undefined}>
              {item.label}
            </a>
          ))}
        </nav>
        <div class="who">
          <span title="Signed in as">{session.operator}</span>
          {session.authRequired && (
            <button type="button" class="link" onClick={onSignOut}>
              Sign out
            </button>
          )}
        </div>
      </header>
      <main class="page">{page}</main>
    </>
  );
}
