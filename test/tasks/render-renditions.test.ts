/**
 * The Render task takes its turn for the read and the render only: a waiting render holds no
 * image, and the files are written after the turn ends, so the cores never wait on a fsync.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../core/config.js';
import { Semaphore } from '../../core/concurrency.js';
import { createPlatform } from '../../core/compose.js';
import { DEFAULT_RENDITION_SETS } from '../../core/renditions.js';
import { run } from '../../tasks/render-renditions.js';
import { taskDepsFrom } from '../../tasks/task-deps.js';
import { createLocalWorkflows } from '../../workflows/local-runtime.js';
import { silentLogger } from '../../core/observability/logger.js';
import { imageInfo, makeImage } from '../helpers/images.js';
import { scratchRoot } from '../helpers/workflow-platform.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(scratchRoot(), 'shutter-render-task-'));
});
afterEach(() => rm(dataDir, { recursive: true, force: true }));

test('renders take turns (one at a time here): reads inside the turn, writes after it', async () => {
  const platform = createPlatform(loadConfig({ SHUTTER_DATA_DIR: dataDir, WATCH_UPLOADS: 'No', SHUTTER_SEED_SAMPLES: 'No' }));
  const deps = taskDepsFrom(platform, { log: silentLogger });
  const turns = new Semaphore(1);
  let inTurn = 0;
  let mostInTurn = 0;
  deps.renders = {
    run: (work) =>
      turns.run(async () => {
        mostInTurn = Math.max(mostInTurn, ++inTurn);
        try {
          return await work();
        } finally {
          inTurn--;
        }
      }),
  };
  const seen: Array<{ op: 'get' | 'put'; inTurn: number }> = [];
  const storage = deps.storage;
  deps.storage = Object.assign(Object.create(storage) as typeof storage, {
    get: (...args: Parameters<typeof storage.get>) => (seen.push({ op: 'get', inTurn }), storage.get(...args)),
    put: (...args: Parameters<typeof storage.put>) => (seen.push({ op: 'put', inTurn }), storage.put(...args)),
  });
  const { etag } = await platform.storage.put('uploads', 'a.jpg', await makeImage(400, 300, 'jpeg'));
  const signal = new AbortController().signal;
  const source = { bucket: 'uploads', key: 'a.jpg', etag };
  const presets = DEFAULT_RENDITION_SETS.default!;
  const input = (preset: (typeof presets)[number]) => ({ executionId: 'e', imageId: 'i', source, size: { width: 400, height: 300 }, preset });
  // One render alone: it reads inside its turn and writes its three files after it.
  await run(input(presets[0]!), deps, { signal });
  expect(seen).toEqual([{ op: 'get', inTurn: 1 }, ...presets[0]!.formats.map(() => ({ op: 'put', inTurn: 0 }))]);
  // Four at once: never two in a turn.
  const outputs = await Promise.all(presets.map((preset) => run(input(preset), deps, { signal })));
  expect(mostInTurn).toBe(1);
  expect(seen.filter((call) => call.op === 'get')).toHaveLength(5);
  expect(seen.filter((call) => call.op === 'get').every((call) => call.inTurn === 1)).toBe(true);
  const large = outputs[3]!.renditions.find((rendition) => rendition.format === 'webp')!;
  expect(await imageInfo((await platform.storage.get('renditions', large.key)).body)).toMatchObject({ format: 'webp', width: 400, height: 300 });
  await platform.events.close();
});

test('the local engine gives its tasks one gate of WORKFLOW_RENDERS turns', async () => {
  const platform = createPlatform(loadConfig({ SHUTTER_DATA_DIR: dataDir, WATCH_UPLOADS: 'No', SHUTTER_SEED_SAMPLES: 'No', WORKFLOW_RENDERS: '3' }));
  const workflows = createLocalWorkflows(platform, { watch: false, sweep: false, log: silentLogger, autoStart: false });
  try {
    expect(workflows.deps.renders).toBeInstanceOf(Semaphore);
    expect((workflows.deps.renders as Semaphore).limit).toBe(3);
  } finally {
    await workflows.close();
    await platform.events.close();
  }
});
