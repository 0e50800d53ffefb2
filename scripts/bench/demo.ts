/**
 * How long `npm run demo` takes to seed, and where the time goes: seeds the
 * demo trust (scripts/demo/) on a fresh durable embedded Postgres, BENCH_RUNS
 * times (default 3, a new cluster each), and reports the wall time, the API
 * requests per second, this process's CPU, and Postgres's planning and
 * execution time by statement (pg_stat_statements, loaded for the run).
 *
 *   npm run bench:demo
 *   BENCH_RUNS=1 npm run bench:demo
 */
import { sql } from 'kysely';
import { migrateToLatest } from '../../src/db/migrator.js';
import { seedDemo } from '../demo/seed.js';
import { openBenchDatabase } from './seed.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const say = (m: string) => process.stderr.write(`${m}\n`);
const out = (m: string) => process.stdout.write(`${m}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

interface Statement {
  readonly calls: string;
  readonly plan: number;
  readonly exec: number;
  readonly query: string;
}

const seconds: number[] = [];
const cpu: number[] = [];
let requests = 0;
let statements: Statement[] = [];
for (let run = 1; run <= RUNS; run++) {
  const bench = await openBenchDatabase({ shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track_planning': 'on' }, say, { durable: true, poolSize: 10 });
  try {
    await migrateToLatest(bench.db);
    await sql`create extension if not exists pg_stat_statements`.execute(bench.db);
    await sql`select pg_stat_statements_reset()`.execute(bench.db);
    const before = process.cpuUsage();
    const result = await seedDemo({ db: bench.db });
    const used = process.cpuUsage(before);
    if (result.status !== 'seeded') throw new Error('the bench database held the demo already');
    seconds.push(result.seconds);
    cpu.push((used.user + used.system) / 1e6);
    requests = result.requests;
    say(`run ${run}: ${result.seconds.toFixed(1)} s, ${requests} requests, this process's CPU ${((used.user + used.system) / 1e6).toFixed(1)} s`);
    statements = (
      await sql<Statement>`
        select calls::text, total_plan_time as plan, total_exec_time as exec, left(regexp_replace(query, '\\s+', ' ', 'g'), 100) as query
        from pg_stat_statements where query not ilike '%pg_stat_statements%'
        order by total_plan_time + total_exec_time desc`.execute(bench.db)
    ).rows;
  } finally {
    await bench.close();
  }
}

const s = (ms: number) => (ms / 1000).toFixed(1);
out(`demo seed: ${requests} requests; median ${median(seconds).toFixed(1)} s (min ${Math.min(...seconds).toFixed(1)}, max ${Math.max(...seconds).toFixed(1)}) over ${RUNS} runs, ${(requests / median(seconds)).toFixed(0)} requests/s; this process's CPU ${median(cpu).toFixed(1)} s`);
const plan = statements.reduce((sum, x) => sum + x.plan, 0);
const exec = statements.reduce((sum, x) => sum + x.exec, 0);
out(`Postgres (last run): ${s(plan)} s planning and ${s(exec)} s executing ${statements.reduce((sum, x) => sum + Number(x.calls), 0)} statements; the costliest:`);
out('| calls | planning s | executing s | statement |');
out('|---:|---:|---:|---|');
for (const x of statements.slice(0, 8)) out(`| ${x.calls} | ${s(x.plan)} | ${s(x.exec)} | \`${x.query.replace(/\|/g, '\\|')}…\` |`);
