/** JSON, pretty-printed, in a scrollable block. */
export function JsonView({ value, empty = 'None' }: { value: unknown; empty?: string }) {
  if (value === undefined || value === null || value === '') return <p class="muted">{empty}</p>;
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  // Focusable, so a keyboard can scroll it (WCAG 2.1.1; axe: scrollable-region-focusable).
  return (
    <pre class="json" tabIndex={0}>
      {text}
    </pre>
  );
}
