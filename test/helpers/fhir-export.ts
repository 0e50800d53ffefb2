/** FHIR Bulk Data export through HTTP: kick-off, poll, download the NDJSON. */
import type { TestApp } from './app.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- NDJSON lines are checked by the FHIR validators, not by types
export type Resource = Record<string, any> & { resourceType: string; id: string };
export interface Manifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: { type: string; url: string; count: number }[];
  error: unknown[];
}

export async function kickOff(app: TestApp, key: string, registry: string, query = '') {
  return app.request({
    method: 'GET',
    url: `/fhir/R4/Group/${registry}/$export${query}`,
    key,
    headers: { prefer: 'respond-async', accept: 'application/fhir+json' },
  });
}

/** Polls the status URL until the export is done; answers the manifest and the progress headers seen. */
export async function finish(app: TestApp, key: string, statusUrl: string): Promise<{ manifest: Manifest; progress: string[] }> {
  const url = new URL(statusUrl).pathname;
  const progress: string[] = [];
  for (let i = 0; i < 400; i++) {
    const res = await app.request({ method: 'GET', url, key });
    if (res.statusCode === 200) return { manifest: res.json<Manifest>(), progress };
    if (res.statusCode !== 202) throw new Error(`status: ${res.statusCode} ${res.body}`);
    progress.push(String(res.headers['x-progress']));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('export did not finish');
}

export async function download(app: TestApp, key: string, manifest: Manifest): Promise<Map<string, Resource[]>> {
  const files = new Map<string, Resource[]>();
  for (const out of manifest.output) {
    const res = await app.request({ method: 'GET', url: new URL(out.url).pathname, key });
    if (res.statusCode !== 200) throw new Error(`file: ${res.statusCode} ${res.body}`);
    if (!String(res.headers['content-type']).startsWith('application/fhir+ndjson')) throw new Error('not NDJSON');
    const lines = res.body.split('\n');
    if (lines.pop() !== '') throw new Error('NDJSON must end with a newline');
    files.set(out.type, lines.map((l) => JSON.parse(l) as Resource));
  }
  return files;
}

export async function exportAll(app: TestApp, key: string, registry: string, query = '') {
  const res = await kickOff(app, key, registry, query);
  if (res.statusCode !== 202) throw new Error(`kick-off: ${res.statusCode} ${res.body}`);
  const { manifest, progress } = await finish(app, key, String(res.headers['content-location']));
  return { manifest, progress, files: await download(app, key, manifest), statusUrl: String(res.headers['content-location']) };
}
