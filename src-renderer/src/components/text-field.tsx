import { useId, type HTMLInputAutoCompleteAttribute, type HTMLAttributes } from 'react';

export type TextFieldProps = {
  /** The accessible name: exactly what the operator (and getByLabel) reads. */
  label: string;
  name: string;
  value: string;
  onChange: (value: string) => void;
  type?: 'text' | 'password';
  autoComplete?: HTMLInputAutoCompleteAttribute;
  inputMode?: HTMLAttributes<HTMLInputElement>['inputMode'];
  /** Shown under the input and linked with aria-describedby; never part of the label. */
  hint?: string;
  invalid?: boolean;
  /** An error about this field (from the control plane's answer): shown under it, and the input marked invalid. */
  error?: string | undefined;
  maxLength?: number;
  autoFocus?: boolean;
  disabled?: boolean;
  /** Required unless said otherwise. */
  required?: boolean;
};

export function TextField({ label, name, value, onChange, type = 'text', autoComplete, inputMode, hint, invalid = false, error, maxLength, autoFocus, disabled, required = true }: TextFieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter((part) => part !== null).join(' ');
  const isInvalid = invalid || error !== undefined;
  return (
    <div className={isInvalid ? 'field field-invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={name}
        type={type}
        value={value}
        onChange={(event) => {
          onChange(event.target.value);
        }}
        autoComplete={autoComplete}
        inputMode={inputMode}
        aria-invalid={isInvalid || undefined}
        aria-describedby={describedBy === '' ? undefined : describedBy}
        maxLength={maxLength}
        autoFocus={autoFocus}
        disabled={disabled}
        required={required}
        spellCheck={false}
        autoCapitalize="off"
        autoCorrect="off"
      />
      {hint ? (
        <p className="field-hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      ) : null}
    </div>
  );
}
