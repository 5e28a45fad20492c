/**
 * Node's `http` and `https` modules, taken with `process.getBuiltinModule` rather than imported.
 *
 * An ES module `import http from 'node:http'` builds the module's ESM facade, which reads every
 * export, the lazy WebSocket/fetch ones included, and so loads undici (fetch, http2, zlib...): in
 * a fresh Node 22, 0.36× sharp's load time against 0.05× for the module itself, and 10.6 MB of
 * RSS (57.9 against 47.3 MB); `shutter serve`'s idle RSS is ~5 MB lower without it (median of 10 starts
 * each, quiet machine: 96.1 against 91.2 MB). Types come from `import type`, which costs nothing at run time.
 */
export const http = process.getBuiltinModule('node:http');
export const https = process.getBuiltinModule('node:https');
