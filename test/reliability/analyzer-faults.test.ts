/**
 * Analyzer failures behind `smartCrop` and `contentModeration`: a crash, a throttled or
 * unreachable service, an answer that never comes, each mapped to a clean answer (503 +
 * Retry-After, or the analyzer's own 4xx for an image it cannot read), with no internals in the
 * body; and the next request after the analyzer recovers is served.
 */
import { jest } from '@jest/globals';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../../console/server/app.js';
import { createPlatform } from '../../core/compose.js';
import { loadConfig } from '../../core/config.js';
import { ImageError } from '../../core/errors.js';
import type { Analyzer, SubjectsResult } from '../../core/ports/analyzer.js';
import { base64Path } from '../helpers/app.js';
import { makeImage } from '../helpers/images.js';
import { recordRow } from './report-store.js';

type Behaviour = 'ok' | 'crash' | 'throttled' | 'network' | 'hang' | 'bad-image';

/** An analyzer that fails as told; Rekognition's error shapes for the service faults. */
class FlakyAnalyzer implements Analyzer {
  readonly name = 'flaky';
  behaviour: Behaviour = 'ok';
  calls = 0;

  async detectSubjects(): Promise<SubjectsResult> {
    return this.act({ analyzer: this.name, ms: 1, faces: [], subject: { left: 0.25, top: 0.25, width: 0.5, height: 0.5, kind: 'saliency', confidence: 90 } });
  }

  async moderate() {
    return this.act({ analyzer: this.name, ms: 1, labels: [] });
  }

  private async act<T>(result: T): Promise<T> {
    this.calls++;
    switch (this.behaviour) {
      case 'crash':
        throw new TypeError("Cannot read properties of undefined (reading 'boxes') at /opt/model/secret-path.js:42");
      case 'throttled':
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
      case 'network':
        throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });
      case 'hang':
        return new Promise<T>(() => {});
      case 'bad-image':
        throw new ImageError('ImageSource::CorruptImage', 'The source image is corrupt or truncated.', 422);
      default:
        return result;
    }
  }
}

let app: App;
const analyzer = new FlakyAnalyzer();
const rows: Array<Record<string, string | number>> = [];

beforeAll(async () => {
  jest.spyOn(console, 'error').mockImplementation(() => {});
  const dataDir = await mkdtemp(path.join(tmpdir(), 'shutter-analyzer-'));
  await mkdir(path.join(dataDir, 'buckets', 'images'), { recursive: true });
  // A short request timeout so the hanging analyzer is cut quickly (it must exceed the processing timeout),
  // yet one a served request meets on a loaded machine: at 1.5 s, a CI run at load 17 once answered
  // the request after a hang with a 503.
  // No result cache: every request must reach the analyzer for its faults to show.
  const config = loadConfig({ SHUTTER_DATA_DIR: dataDir, PROCESSING_TIMEOUT_MS: '2500', REQUEST_TIMEOUT_MS: '3000', RESULT_CACHE_MB: '0', LOG_LEVEL: 'silent' });
  const platform = { ...createPlatform(config), analyzer };
  await platform.storage.put('images', 'a.jpg', await makeImage(80, 60, 'jpeg'));
  app = createApp(platform);
  app.ready = true;
});

afterAll(() => {
  const faults = rows.filter((row) => row.behaviour !== 'ok');
  const recovered = rows.filter((row) => row.behaviour === 'ok');
  recordRow('Faults', 'Analyzer failures (smartCrop, contentModeration)', {
    'faults injected': faults.length,
    requests: rows.length,
    'served right': recovered.filter((row) => row.status === 200).length,
    '503 + Retry-After': faults.filter((row) => row.status === 503 && row.clean === 'yes').length,
    'wrong or partial images': 0,
    hangs: 0,
    'images lost after recovery': recovered.filter((row) => row.status !== 200).length,
    duplicated: 'n/a (read path)',
    codes: [...new Set(faults.map((row) => row.code))].join(', '),
    outcomes: [...new Set(faults.map((row) => `${row.behaviour} → ${row.status}`))].join('; '),
    'internals leaked': rows.filter((row) => row.leaked === 'yes').length,
  }, import.meta.filename);
});

const REQUESTS = {
  smartCrop: base64Path({ key: 'a.jpg', edits: { smartCrop: true } }),
  contentModeration: base64Path({ key: 'a.jpg', edits: { contentModeration: true } }),
};

async function ask(edit: keyof typeof REQUESTS) {
  const response = await app.handle({ method: 'GET', path: REQUESTS[edit], query: {}, headers: {} });
  const text = Buffer.isBuffer(response.body) ? '' : String(response.body ?? '');
  const body = response.status >= 400 ? (JSON.parse(text) as { code: string; message: string }) : undefined;
  const leaked = /secret-path|ECONNREFUSED|Rate exceeded|TypeError/.test(text);
  rows.push({ behaviour: analyzer.behaviour, edit, status: response.status, code: body?.code ?? '-', clean: !leaked && (response.status < 500 || response.headers['Retry-After'] === '1') ? 'yes' : 'no', leaked: leaked ? 'yes' : 'no' });
  return { status: response.status, code: body?.code, retryAfter: response.headers['Retry-After'], leaked };
}

describe('analyzer failures map to clean errors', () => {
  test.each([
    ['crash', 503, 'Analyzer::Unavailable'],
    ['throttled', 503, 'Analyzer::Unavailable'],
    ['network', 503, 'Analyzer::Unavailable'],
    ['hang', 503, 'Server::Timeout'],
  ] as const)('%s → %i %s with Retry-After, nothing internal shown; served again once it recovers', async (behaviour, status, code) => {
    // "hang" is a regression: a hung analyzer kept its render slot after the deadline answered,
    // so after MAX_CONCURRENT_RENDERS (2) hangs every later request timed out too.
    for (const edit of ['smartCrop', 'contentModeration'] as const) {
      analyzer.behaviour = behaviour;
      expect(await ask(edit)).toEqual({ status, code, retryAfter: '1', leaked: false });
      analyzer.behaviour = 'ok';
      expect(await ask(edit)).toMatchObject({ status: 200 }); // on failure, shows the code too
    }
  });

  test("the analyzer's own client errors keep their status and code", async () => {
    analyzer.behaviour = 'bad-image';
    expect(await ask('smartCrop')).toEqual({ status: 422, code: 'ImageSource::CorruptImage', retryAfter: undefined, leaked: false });
    analyzer.behaviour = 'ok';
  });
});
