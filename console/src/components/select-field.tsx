/**
 * A labelled `<select>`, the console's one drop-down: options are values shown as they are, or
 * `[value, label]` pairs.
 */
export type SelectOption = string | readonly [value: string, label: string];

interface SelectFieldProps {
  label: string;
  value: string;
  options: readonly SelectOption[];
  onChange: (value: string) => void;
  name?: string;
}

export function SelectField({ label, value, options, onChange, name }: SelectFieldProps) {
  return (
    <label>
      {label}
      <select name={name} value={value} onChange={(event) => onChange(event.currentTarget.value)}>
        {options.map((option) => {
          const [optionValue, optionLabel] = typeof option === 'string' ? [option, option] : option;
          return (
            <option key={optionValue} value={optionValue}>
              {optionLabel}
            </option>
          );
        })}
      </select>
    </label>
  );
}
