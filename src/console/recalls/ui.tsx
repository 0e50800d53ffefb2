export { plural } from './counts.js';

/** Opens a view of the console (see main.tsx): the fragment changes, so Back returns. */
export const go = (hash: string) => {
  location.hash = hash;
};
