/**
 * The first bytes of a stream, to sniff its type, and the whole stream still to answer with:
 * a pass-through of an object with no declared image type streams like any other instead of
 * being read whole into memory.
 */
import { Readable } from 'node:stream';

/**
 * Reads at least `bytes` (fewer if the stream ends first) and returns them with a stream of
 * everything: those bytes, then the rest. Destroying `body` destroys the source.
 *
 * @example
 *   const { head, body } = await streamHead(stream, 64);
 *   const type = detectImageType(head);
 */
export async function streamHead(stream: Readable, bytes: number): Promise<{ head: Buffer; body: Readable }> {
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < bytes) {
    const chunk = stream.read() as Buffer | null;
    if (chunk) {
      chunks.push(chunk);
      length += chunk.length;
      continue;
    }
    if (stream.readableEnded || stream.destroyed) break;
    await new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        stream.off('readable', settle).off('end', settle).off('error', settle).off('close', settle);
        if (error instanceof Error) reject(error);
        else resolve();
      };
      stream.on('readable', settle).on('end', settle).on('error', settle).on('close', settle);
    });
  }
  const head = Buffer.concat(chunks);
  async function* everything() {
    yield head;
    yield* stream;
  }
  const body = Readable.from(everything(), { objectMode: false });
  body.once('close', () => stream.destroy());
  return { head, body };
}
