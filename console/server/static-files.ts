/**
 * Serves the built console (`console/dist`, written by `npm run build`) under `/console/`, with
 * the security headers a page that can stop workflows deserves. Only files found in the folder
 * when first asked are served, so no request path can reach outside it.
 *
 * The files are the same public bundle a static-site deployment puts behind CloudFront: they
 * hold no data, configuration or secret. Everything an operator sees comes from `/api/`, which
 * asks for credentials (see `auth.ts`).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '../../core/errors.js';
import { header, type HttpRequest, type HttpResponse } from '../../api/http.js';

/** Scripts and styles from our origin only (no inline script, no CDN), data from our API only. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': CONSOLE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
});

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

interface StaticFile {
  body: Buffer;
  contentType: string;
  etag: string;
  /** Names with a content hash (`app-3FJ2K.js`) never change: cache them for a year. */
  immutable: boolean;
}

/** Answers `GET /console/<file>`; `/console/` is `index.html`. */
export function createConsoleFiles(dir: string): (request: HttpRequest, file: string) => Promise<HttpResponse> {
  let files: Promise<Map<string, StaticFile>> | undefined;
  const load = () => (files ??= scan(dir));

  return async function serveConsoleFile(request, file) {
    const name = file === '' ? 'index.html' : file;
    const found = (await load()).get(name);
    if (!found) {
      if (name === 'index.html') {
        // The folder is this machine's business, not the client's: the operator finds it in CONSOLE_DIR.
        throw new NotFoundError('Console::NotBuilt', 'The console is not built: run "npm run build" (it is served from CONSOLE_DIR, console/dist by default).');
      }
      throw new NotFoundError('Console::NoSuchFile', `The console has no file ${name}.`);
    }
    const headers: Record<string, string> = {
      ...CONSOLE_SECURITY_HEADERS,
      'Content-Type': found.contentType,
      ETag: found.etag,
      'Cache-Control': found.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    };
    if (header(request, 'if-none-match') === found.etag) return { status: 304, headers };
    return { status: 200, headers, body: found.body };
  };
}

async function scan(dir: string): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  let entries: string[];
  try {
    entries = await readdir(dir, { recursive: true });
  } catch {
    return files; // not built: every request answers Console::NotBuilt
  }
  for (const entry of entries) {
    const extension = path.extname(entry);
    const contentType = CONTENT_TYPES[extension];
    if (!contentType) continue;
    const body = await readFile(path.join(dir, entry)).catch(() => undefined);
    if (!body) continue; // a folder
    files.set(entry.split(path.sep).join('/'), {
      body,
      contentType,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      immutable: /-[A-Z0-9]{8}\.[a-z0-9]+$/.test(entry),
    });
  }
  return files;
}
