/**
 * Helpers for checker integration tests: run one probe inside a lab namespace (probes use
 * the calling process's network namespace, so they run in a child `node` there), and start
 * nginx with HTTP + TLS (self-signed cert made with openssl at test time).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProbeResult } from '../../src/check/result';
import { waitFor, type Lab } from './netns';

const probesDir = path.resolve(__dirname, '../../src/check/probes');

/** Run `require(probes/<file>)[fn](opts)` once inside `ns`; returns its ProbeResult. */
export async function runProbeIn(lab: Lab, ns: string, file: string, fn: string, opts: unknown, timeoutMs = 15_000): Promise<ProbeResult> {
  const code = `
    const m = require(${JSON.stringify(path.join(probesDir, file))});
    const probe = m[${JSON.stringify(fn)}](JSON.parse(process.env.PROBE_OPTS));
    probe(new AbortController().signal).then((r) => { process.stdout.write(JSON.stringify(r)); process.exit(0); });`;
  const r = await lab.exec(ns, ['env', `PROBE_OPTS=${JSON.stringify(opts)}`, process.execPath, '-e', code], timeoutMs);
  if (r.code !== 0) throw new Error(`probe child failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as ProbeResult;
}

const buildModule = path.resolve(__dirname, '../../src/check/build');
const loadModule = path.resolve(__dirname, '../../src/config/load');

/**
 * Load `config` (keepalived syntax), build its checkers as the daemon does, and run the first
 * checker of the first real server once inside `ns`: the whole config → probe chain.
 */
export async function runConfiguredCheckIn(lab: Lab, ns: string, config: string, timeoutMs = 15_000): Promise<ProbeResult & { warnings: string[] }> {
  const code = `
    const { loadConfigText } = require(${JSON.stringify(loadModule)});
    const { buildCheckers } = require(${JSON.stringify(buildModule)});
    const r = loadConfigText(process.env.CHECK_CONFIG, 'check.conf', { configId: 'check', readFile: () => '', glob: () => [] });
    if (!r.model) { process.stderr.write(JSON.stringify(r.diagnostics)); process.exit(2); }
    const { servers, warnings } = buildCheckers(r.model, { hostname: 'lb' });
    servers[0].checkers[0].probe(new AbortController().signal).then((res) => {
      process.stdout.write(JSON.stringify({ ...res, warnings })); process.exit(0);
    });`;
  const r = await lab.exec(ns, ['env', `CHECK_CONFIG=${config}`, process.execPath, '-e', code], timeoutMs);
  if (r.code !== 0) throw new Error(`checker child failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as ProbeResult & { warnings: string[] };
}

export interface WebFixture {
  dir: string;
  caPem: string;
  /** A CA that did NOT sign the server certificate. */
  otherCaPem: string;
  indexBody: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stop nginx and remove the temporary directory. */
  dispose(): Promise<void>;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

function selfSigned(dir: string, name: string, cn: string): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`], dir);
}

/** nginx in `ns` serving HTTP on addr:80 and HTTPS on addr:443. */
export function webFixture(lab: Lab, ns: string, addr: string): WebFixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-check-web-'));
  const www = path.join(dir, 'www');
  fs.mkdirSync(www);
  const indexBody = 'tskeepalived real server OK\n';
  fs.writeFileSync(path.join(www, 'index.html'), indexBody);
  fs.writeFileSync(path.join(www, 'other.html'), 'something else\n');
  selfSigned(dir, 'server', 'rs.example');
  selfSigned(dir, 'other', 'other.example');
  const conf = `
daemon off; master_process off; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/t1; proxy_temp_path ${dir}/t2; fastcgi_temp_path ${dir}/t3;
  uwsgi_temp_path ${dir}/t4; scgi_temp_path ${dir}/t5;
  server { listen ${addr}:80; root ${www}; location = /status500 { return 500 "boom"; } }
  server { listen ${addr}:443 ssl; ssl_certificate ${dir}/server.crt; ssl_certificate_key ${dir}/server.key; root ${www}; }
}`;
  fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
  let proc: ReturnType<Lab['spawn']> | undefined;
  const fx: WebFixture = {
    dir,
    caPem: fs.readFileSync(path.join(dir, 'server.crt'), 'utf8'),
    otherCaPem: fs.readFileSync(path.join(dir, 'other.crt'), 'utf8'),
    indexBody,
    async start() {
      proc = lab.spawn(ns, ['nginx', '-c', path.join(dir, 'nginx.conf')]);
      const up = await waitFor(async () => (await lab.exec(ns, ['bash', '-c', `exec 3<>/dev/tcp/${addr}/80`], 2000)).code === 0, 10_000, 100);
      if (!up) throw new Error(`nginx did not start: ${safeRead(path.join(dir, 'error.log'))}`);
    },
    async stop() {
      if (!proc) return;
      const p = proc;
      proc = undefined;
      p.kill('SIGKILL');
      await waitFor(() => p.exitCode !== null || p.signalCode !== null, 5000);
    },
    async dispose() {
      await fx.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return fx;
}

function safeRead(p: string): string {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}
