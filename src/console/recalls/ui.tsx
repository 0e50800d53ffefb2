import type { ComponentChildren } from 'preact';
import { useFocusOnMount } from '../shared/focus.js';
import { failureText, type Failure } from './problems.js';

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

export { plural } from './counts.js';

/** Opens a view of the console (see main.tsx): the fragment changes, so Back returns. */
export const go = (hash: string) => {
  location.hash = hash;
};
