/**
 * A one-line progress report for `shutter process`: redrawn in place on a terminal, a line
 * every few seconds otherwise (CI logs), so neither floods the output.
 */
export interface Progress {
  total: number;
  succeeded: number;
  failed: number;
}

export function progressBar(stream: NodeJS.WriteStream = process.stderr): { update(progress: Progress): void; done(progress: Progress): void } {
  const started = performance.now();
  let lastLine = 0;
  const render = (progress: Progress) => {
    const finished = progress.succeeded + progress.failed;
    const seconds = (performance.now() - started) / 1000;
    const rate = finished / Math.max(seconds, 0.001);
    const eta = rate > 0 ? Math.ceil((progress.total - finished) / rate) : undefined;
    const width = 30;
    const filled = progress.total ? Math.round((finished / progress.total) * width) : width;
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${finished}/${progress.total} ✓${progress.succeeded} ✗${progress.failed} ${rate.toFixed(1)} img/s${eta !== undefined && finished < progress.total ? ` ETA ${eta}s` : ''}`;
  };
  return {
    update(progress) {
      if (stream.isTTY) stream.write(`\r${render(progress)}\x1b[K`);
      else if (performance.now() - lastLine > 5000) {
        lastLine = performance.now();
        stream.write(`${render(progress)}\n`);
      }
    },
    done(progress) {
      stream.write(`${stream.isTTY ? '\r' : ''}${render(progress)}${stream.isTTY ? '\x1b[K' : ''}\n`);
    },
  };
}
