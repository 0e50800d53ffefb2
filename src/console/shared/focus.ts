import { useLayoutEffect, useRef } from 'preact/hooks';

/**
 * A ref that takes the focus when its element first appears. The autofocus
 * attribute works only for elements present when a page loads, not for ones
 * a script renders later.
 */
export function useFocusOnMount<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  // A layout effect: the focus moves before anything that runs later (a timer, a paint) sees it on the page body.
  useLayoutEffect(() => ref.current?.focus(), []);
  return ref;
}
