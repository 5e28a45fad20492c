/**
 * Stack traces of the deployed (minified) bundles, read through their source maps when a trace is
 * formatted, not when a module loads.
 *
 * `node --enable-source-maps` does the same mapping, but parses every loaded chunk's map while the
 * function starts: +0.07–0.15× of `import('sharp')` on the image Lambda's cold start, for traces
 * that only an unexpected error ever prints (bench/README.md, session 8). Here V8 calls
 * `Error.prepareStackTrace` only when an error's `stack` is first read; a bundle's map is read and
 * parsed then, once, with Node's own `SourceMap`. Each Lambda bundle installs it first thing
 * (scripts/build-lambdas.mjs makes it the first import of every bundle's entry); a process already started with source maps on
 * keeps Node's.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Each generated file's map, or null when it has none (so a miss is not looked up again). */
const maps = new Map<string, SourceMap | null>();

function mapOf(file: string): SourceMap | null {
  let map = maps.get(file);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {
      map = null;
    }
    maps.set(file, map);
  }
  return map;
}

/** A frame's generated file and 1-based position, when it is a file's (not native, not eval). */
function positionOf(site: NodeJS.CallSite | undefined) {
  const name = site?.getFileName();
  const line = site?.getLineNumber();
  const column = site?.getColumnNumber();
  if (!name || line == null || column == null) return undefined;
  const file = name.startsWith('file://') ? fileURLToPath(name) : name;
  return { name, file, line, column, map: mapOf(file) };
}

/**
 * A frame as V8 writes it, its generated position replaced by the source's when a map knows it,
 * and its minified function name by the one the caller's call names in the source (as Node does).
 */
function mappedFrame(site: NodeJS.CallSite, caller: NodeJS.CallSite | undefined): string {
  let text = String(site);
  const at = positionOf(site);
  const origin = at?.map?.findOrigin(at.line, at.column);
  if (!at || !origin || !('fileName' in origin)) return text;
  const source = path.resolve(path.dirname(at.file), origin.fileName);
  text = text.replace(`${at.name}:${at.line}:${at.column}`, `${source}:${origin.lineNumber}:${origin.columnNumber}`);
  const minified = site.getFunctionName();
  const from = positionOf(caller);
  const entry = from?.map?.findEntry(from.line - 1, from.column - 1);
  const original = entry && 'name' in entry ? entry.name : undefined;
  return minified && original ? text.replace(`${minified} (`, `${original} (`) : text;
}

/** V8's own layout (`Name: message`, then a line per frame), with each frame mapped. */
export function mappedStackTrace(error: Error, sites: NodeJS.CallSite[]): string {
  let head: string;
  try {
    head = Error.prototype.toString.call(error);
  } catch {
    head = '<error>';
  }
  return head + sites.map((site, i) => `\n    at ${mappedFrame(site, sites[i + 1])}`).join('');
}

// Node's own default is replaced (it formats as V8 does); one another library set is kept.
const nodeDefault = !Error.prepareStackTrace || Error.prepareStackTrace.name === 'ErrorPrepareStackTrace';
if (!process.sourceMapsEnabled && nodeDefault) Error.prepareStackTrace = mappedStackTrace;
