/**
 * The Node.js releases the service supports: the long-term-support lines from
 * 24 (maintenance LTS at the end of 2026) up (26 is the active LTS). Node 20
 * reached end of life in April 2026, and libraries the service uses need 22+.
 */
export const MINIMUM_NODE_MAJOR = 24;

/** Why this Node.js cannot run the service, or undefined when it can. */
export function unsupportedNode(version: string): string | undefined {
  const major = Number.parseInt(version.replace(/^v/, ''), 10);
  if (Number.isInteger(major) && major >= MINIMUM_NODE_MAJOR) return undefined;
  return (
    `implant-trace needs Node.js ${MINIMUM_NODE_MAJOR} or newer (the LTS releases 24 and 26); this is Node.js ${version}, ` +
    `which is not supported. Install Node.js 26 LTS (https://nodejs.org/en/download), then run npm ci and npm start again.`
  );
}
