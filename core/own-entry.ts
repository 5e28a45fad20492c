/**
 * `table[key]` for a key that came from outside (a URL, a file name, a client's JSON): only the
 * table's own entries. A plain lookup also finds Object.prototype's (`__proto__`, `constructor`,
 * `toString`): a fuzzed Thumbor URL, `filters:__proto__()`, once turned that into a 500.
 */
export function ownEntry<V>(table: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
