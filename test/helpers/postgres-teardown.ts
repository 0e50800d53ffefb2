/** tap `after`: drops the template and stops the throwaway cluster, if this run started one. */
import { rm } from 'node:fs/promises';
import pg from 'pg';
import { stopEmbeddedPostgres } from '../../src/db/embedded.js';
import { readState, STATE_FILE } from './postgres-state.js';

const state = readState();
if (state.embeddedDataDir) {
  await stopEmbeddedPostgres(state.embeddedDataDir);
  await rm(state.embeddedDataDir, { recursive: true, force: true });
} else {
  const admin = new pg.Client({ connectionString: state.adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${admin.escapeIdentifier(state.template)} with (force)`);
  await admin.end();
}
await rm(STATE_FILE, { force: true });
