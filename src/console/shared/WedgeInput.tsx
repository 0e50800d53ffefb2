import { useLayoutEffect } from 'preact/hooks';
import { GS, GS_SYMBOL, isGroupSeparatorKey } from './wedge.js';

interface Props {
  readonly id: string;
  readonly inputRef: { current: HTMLInputElement | null };
  readonly value: string;
  readonly onValue: (value: string) => void;
  readonly onEnter: () => void;
  readonly onEscape?: () => void;
  readonly onBlur?: (event: FocusEvent) => void;
  readonly describedBy?: string;
  readonly invalid?: boolean;
  readonly disabled?: boolean;
  readonly autoFocus?: boolean;
  /** The field the focus returns to whenever it falls back to the page (the scan field, the patient field). */
  readonly home?: boolean;
  readonly placeholder?: string;
}

/**
 * A text field for keyboard-wedge scanners: GS (as Ctrl+] or as the control
 * character) is kept, shown as ␝; Enter ends the scan. No autocomplete,
 * autocorrect or spellcheck may change what the scanner typed.
 */
export function WedgeInput(props: Props) {
  useLayoutEffect(() => {
    if (props.autoFocus) props.inputRef.current?.focus();
  }, []);
  const insertGs = (input: HTMLInputElement) => {
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? start;
    const value = input.value.slice(0, start) + GS_SYMBOL + input.value.slice(end);
    input.value = value;
    input.setSelectionRange(start + 1, start + 1);
    props.onValue(value);
  };
  return (
    <input
      id={props.id}
      ref={props.inputRef}
      type="text"
      class="wedge"
      data-home-field={props.home ? '' : undefined}
      value={props.value}
      autocomplete="off"
      autocapitalize="off"
      autocorrect="off"
      spellcheck={false}
      enterKeyHint="send"
      disabled={props.disabled}
      placeholder={props.placeholder}
      aria-describedby={props.describedBy}
      aria-invalid={props.invalid ? true : undefined}
      onBlur={props.onBlur}
      onKeyDown={(e) => {
        if (isGroupSeparatorKey(e)) {
          e.preventDefault();
          insertGs(e.currentTarget);
        } else if (e.key === 'Enter') {
          e.preventDefault();
          props.onEnter();
        } else if (e.key === 'Escape' && props.onEscape) {
          e.preventDefault();
          props.onEscape();
        }
      }}
      onInput={(e) => {
        const input = e.currentTarget;
        if (input.value.includes(GS)) {
          const caret = input.selectionStart;
          input.value = input.value.split(GS).join(GS_SYMBOL);
          if (caret !== null) input.setSelectionRange(caret, caret);
        }
        props.onValue(input.value);
      }}
    />
  );
}
