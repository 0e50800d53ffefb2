/** The pieces every console page is built of: a view's heading, a failed call said once, a labelled field with its messages. */
import type { ComponentChildren } from 'preact';
import { failureText, type Failure } from './failure.js';
import { useFocusOnMount } from './focus.js';

/** A view's heading: it takes the focus when the view opens, so a screen reader starts there. */
export function ViewHeading({ children, id }: { children: ComponentChildren; id?: string }) {
  const ref = useFocusOnMount<HTMLHeadingElement>();
  return (
    <h1 ref={ref} id={id} tabIndex={-1}>
      {children}
    </h1>
  );
}

/** A failed call, said once (role=alert), with the problem's title when the service gave one. */
export function FailureAlert({ failure, onRetry, id }: { failure: Failure; onRetry?: () => void; id?: string }) {
  return (
    <div class="failure" role="alert" id={id}>
      <p class="error">
        {failure.kind === 'problem' && failure.problem.title ? <strong>{failure.problem.title}. </strong> : null}
        {failureText(failure)}
      </p>
      {onRetry && (
        <button type="button" class="secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

interface FieldProps {
  readonly id: string;
  readonly label: string;
  readonly hint?: string;
  readonly errors: readonly string[];
  readonly children: (a11y: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: true }) => ComponentChildren;
}

/** A label, an optional hint, the control, and the service's messages about it right beneath. */
export function Field({ id, label, hint, errors, children }: FieldProps) {
  const describedBy = [hint ? `${id}-hint` : null, errors.length > 0 ? `${id}-error` : null].filter(Boolean).join(' ');
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {children({ id, ...(describedBy ? { 'aria-describedby': describedBy } : {}), ...(errors.length > 0 ? { 'aria-invalid': true as const } : {}) })}
      <FieldErrors id={`${id}-error`} errors={errors} />
    </div>
  );
}

export function FieldErrors({ id, errors }: { id: string; errors: readonly string[] }) {
  if (errors.length === 0) return null;
  return (
    <p class="error field-error" id={id}>
      {errors.join(' ')}
    </p>
  );
}

/** The confirming button of a destructive step (revoke, close): it takes the focus when it appears. */
export function ConfirmButton(props: { onClick: () => void; disabled: boolean; children: string }) {
  const ref = useFocusOnMount<HTMLButtonElement>();
  return (
    <button type="button" class="danger" ref={ref} onClick={props.onClick} disabled={props.disabled}>
      {props.children}
    </button>
  );
}
