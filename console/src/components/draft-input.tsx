/**
 * An input that owns what is being typed and hands it over on change (blur or Enter). Pages
 * re-render while they poll; a controlled input bound to the route's query would snap back to
 * the old value under the user's fingers and lose what they typed.
 */
import { useEffect, useState } from 'preact/hooks';

interface DraftInputProps {
  value: string;
  onCommit: (value: string) => void;
  name?: string;
  type?: 'text' | 'number';
  placeholder?: string;
  min?: number;
  max?: number;
  step?: number;
}

export function DraftInput({ value, onCommit, ...props }: DraftInputProps) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  // Preact types <input> as a union keyed on `type`; these few plain attributes fit every member.
  const attributes: Record<string, unknown> = props;
  return <input {...attributes} value={draft} onInput={(event) => setDraft(event.currentTarget.value)} onChange={(event) => onCommit(event.currentTarget.value)} />;
}
