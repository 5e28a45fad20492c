/** Reads a small JSON request body, refusing oversized or malformed ones with a 4xx. */
import type { Readable } from 'node:stream';
import { RequestError } from '../../core/errors.js';
import { header, type HttpRequest } from '../../api/http.js';

export async function readJsonBody(request: HttpRequest, maxBytes: number): Promise<unknown> {
  const type = header(request, 'content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new RequestError('Request::UnsupportedMediaType', 'Send the body as application/json.', 415);
  }
  const bytes = await collect(request.body, maxBytes);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new RequestError('Request::InvalidJson', 'The request body is not valid JSON.', 400, { cause: error });
  }
}

async function collect(body: HttpRequest['body'], maxBytes: number): Promise<Buffer> {
  if (body === undefined) return Buffer.alloc(0);
  const tooLarge = () => new RequestError('Request::BodyTooLarge', `The request body is over ${maxBytes} bytes.`, 413);
  if (Buffer.isBuffer(body)) {
    if (body.length > maxBytes) throw tooLarge();
    return body;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body as Readable) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) {
      (body as Readable).destroy();
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
