/**
 * The progress report of `shutter process` (cli-progress): redrawn in place on a terminal, a
 * line every few seconds otherwise (CI logs), so neither floods the output.
 */
import { SingleBar } from 'cli-progress';

export interface Progress {
  total: number;
  succeeded: number;
  failed: number;
}

export function progressBar(stream: NodeJS.WriteStream = process.stderr): {
  update(progress: Progress): void;
  done(progress: Progress): void;
} {
  const bar = new SingleBar({
    stream,
    format: '[{bar}] {value}/{total} ✓{succeeded} ✗{failed} {rate} img/s ETA {eta}s',
    barCompleteChar: '#',
    barIncompleteChar: '.',
    barsize: 30,
    hideCursor: false,
    noTTYOutput: true,
    notTTYSchedule: 5000,
    etaBuffer: 50,
  });
  const started = performance.now();
  let running = false;
  const payload = (progress: Progress) => {
    const finished = progress.succeeded + progress.failed;
    return {
      succeeded: progress.succeeded,
      failed: progress.failed,
      rate: (finished / Math.max((performance.now() - started) / 1000, 0.001)).toFixed(1),
    };
  };
  return {
    update(progress) {
      const finished = progress.succeeded + progress.failed;
      if (!running) {
        bar.start(progress.total, finished, payload(progress));
        running = true;
      } else bar.update(finished, payload(progress));
    },
    done(progress) {
      if (!running) bar.start(progress.total, 0, payload(progress));
      bar.update(progress.succeeded + progress.failed, payload(progress));
      bar.stop();
      // Off a terminal, cli-progress prints on its schedule only: the final line is ours.
      if (!stream.isTTY)
        stream.write(
          `${progress.succeeded + progress.failed}/${progress.total} ✓${progress.succeeded} ✗${progress.failed}\n`,
        );
    },
  };
}
