/** JSON, pretty-printed, in a scrollable block. */
export function JsonView({ value, empty = 'None' }: { value: unknown; empty?: string }) {
  if (value === undefined || value === null || value === '') return <p class="muted">{empty}</p>;
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  return <pre class="json">{text}</pre>;
}
