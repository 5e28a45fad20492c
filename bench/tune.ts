/**
 * Tuning sharp/libvips for this machine: libvips threads per image (sharp.concurrency) × images
 * rendered at once (MAX_CONCURRENT_RENDERS) × libvips' operation cache, measured on shutter's
 * handler in process with more requests in flight than renders allowed, alternated round by round.
 * The result justifies the values in core/limits.ts DEFAULTS.
 *
 *   npm run bench:tune [-- --smoke]
 */
import sharp from 'sharp';
import { createImageHandler } from '../api/image-handler.js';
import { createPlatform } from '../core/compose.js';
import { loadConfig } from '../core/config.js';
import { alternate, figure, ratios, throughput, type Sample } from './harness.js';
import { copyName, prepareInputs } from './inputs.js';
import { JOBS, scaled } from './jobs.js';
import { markdownTable, type Row } from './report.js';
import { dataDirFor } from './servers.js';
import { splitPath } from './scenarios/ceiling.js';

const smoke = process.argv.includes('--smoke');
const inputs = await prepareInputs({ smoke, copies: 2 });
const dataDir = await dataDirFor(inputs.dir);
const inFlight = 4;
const rounds = smoke ? 1 : 3;
const settings = [
  { threads: 1, renders: 2, cacheMb: 0 },
  { threads: 2, renders: 1, cacheMb: 0 },
  { threads: 2, renders: 2, cacheMb: 0 },
  { threads: 2, renders: 4, cacheMb: 0 },
  { threads: 4, renders: 2, cacheMb: 0 },
  { threads: 1, renders: 4, cacheMb: 0 },
  { threads: 2, renders: 2, cacheMb: 50 },
];
const name = (s: (typeof settings)[number]) => `threads ${s.threads}, renders ${s.renders}, cache ${s.cacheMb} MB`;
const current = name(settings[2]!);

const rows: Row[] = [];
for (const job of JOBS.filter((j) => ['12mp-webp', '2mp-jpeg', 'png-alpha'].includes(j.id)).map((j) => scaled(j, smoke))) {
  const count = smoke ? 4 : job.input === 'photo-12mp.jpg' ? 16 : 32;
  const variants: Record<string, () => Promise<Sample>> = {};
  for (const setting of settings) {
    const platform = createPlatform(loadConfig({ SHUTTER_DATA_DIR: dataDir, SHUTTER_SEED_SAMPLES: 'No', MAX_CONCURRENT_RENDERS: String(setting.renders) }));
    const handle = createImageHandler(platform, { coalesce: false, resultCache: null });
    variants[name(setting)] = async () => {
      sharp.concurrency(setting.threads);
      sharp.cache({ memory: setting.cacheMb, files: 0, items: setting.cacheMb ? 100 : 0 });
      const value = await throughput(count, inFlight, async (worker) => {
        const answer = await handle({ method: 'GET', ...splitPath(`/${copyName(job.input, worker % 2)}?width=${job.width}&format=${job.format}`), headers: {} });
        if (answer.status !== 200) throw new Error(`answered ${answer.status}`);
      });
      return { value };
    };
  }
  console.error(`[tune] ${job.label}`);
  const samples = await alternate(rounds, variants);
  for (const setting of settings) {
    const label = name(setting);
    rows.push({
      group: 'tune',
      scenario: job.label,
      subject: label,
      subjectValue: figure(samples[label]!),
      baseline: current,
      baselineValue: figure(samples[current]!),
      unit: 'img/s',
      ratio: ratios(samples[label]!, samples[current]!),
    });
  }
}
console.log(`\nsharp/libvips settings, ${inFlight} requests in flight, in process, ${rounds} rounds\n`);
console.log(markdownTable(rows));
process.exit(0);
