/**
 * The daemon's side of the control socket and the metrics endpoint, kept out of
 * src/runtime/daemon.ts: opening the socket early (a second daemon refuses to start), then,
 * once the daemon runs, the request handler and the metrics server.
 */
import type { CliOptions } from '../cli/args';
import type { Model } from '../config/model';
import type { Logger } from '../observe/log';
import type { Recorder } from '../observe/recorder';
import type { VrrpService } from '../runtime/vrrp-service';
import type { LvsHandle } from '../runtime/lvs-service';
import type { BfdService } from '../runtime/bfd-service';
import { loadConfigFile } from '../runtime/config-files';
import { formatDiagnostic } from '../config/diagnostics';
import { writeDump, type DumpKind } from '../observe/dump-writer';
import { controlSocketPath } from './paths';
import { openControlServer, type ControlServer } from './server';
import { controlHandler } from './handlers';
import type { MetricsServer } from '../observe/metrics';

export async function openControl(o: CliOptions, model: Model, log: Logger): Promise<ControlServer | undefined> {
  const p = controlSocketPath({ configured: model.globalDefs.controlSocket, env: process.env.TSKEEPALIVED_CONTROL_SOCKET, namespace: o.namespace, pidFile: o.pidFile });
  const r = await openControlServer(p, log);
  if (!r.ok) {
    log.error(r.message);
    return undefined;
  }
  return r.server;
}

export interface RunningParts {
  o: CliOptions;
  log: Logger;
  recorder: Recorder;
  vrrp: VrrpService | undefined;
  lvs: () => LvsHandle | undefined;
  bfd?: () => BfdService | undefined;
  model: () => Model;
  dumpPaths: () => Record<DumpKind, string>;
  reload: () => Promise<void>;
  wallNow: () => number;
}

export function serveControl(server: ControlServer, p: RunningParts): void {
  server.setHandler(
    controlHandler({
      vrrp: p.vrrp,
      model: p.model,
      recorder: p.recorder,
      log: p.log,
      wallNow: p.wallNow,
      ...(p.bfd ? { bfd: p.bfd } : {}),
      validate: () => {
        const r = loadConfigFile(p.o.configFile, { configId: p.o.configId, allConfig: p.o.allConfig });
        const bad = !r.model || r.diagnostics.some((d) => d.severity === 'fatal' || d.severity === 'error');
        return { ok: !bad, diagnostics: r.diagnostics.map((d) => formatDiagnostic(d)) };
      },
      reload: p.reload,
      dump: () => {
        const files: Record<string, string> = {};
        const errors: string[] = [];
        if (!p.vrrp) return { files, errors: ['no VRRP instance runs in this daemon'] };
        const snap = p.vrrp.snapshot();
        for (const kind of ['data', 'stats', 'json'] as const) {
          const r = writeDump(kind, snap, p.dumpPaths()[kind]);
          if (r.ok) files[kind] = r.path;
          else errors.push(r.error);
        }
        p.log.info(`Dump requested on the control socket: ${Object.values(files).join(', ')}`);
        return { files, errors };
      },
    }),
  );
}

/** metrics_listen: start serving /metrics (a bind failure is logged; the daemon runs on). */
export async function startMetrics(p: RunningParts): Promise<MetricsServer | undefined> {
  const listen = p.model().globalDefs.metricsListen;
  if (!listen) return undefined;
  // prom-client and node:http are required only when metrics_listen is set.
  const { Metrics, serveMetrics } = require('../observe/metrics') as typeof import('../observe/metrics');
  const metrics = new Metrics({
    model: p.model,
    views: () => p.vrrp?.views() ?? [],
    recorder: p.recorder,
    ipvsTable: () => p.lvs()?.ipvsTable?.() ?? Promise.resolve([]),
  });
  try {
    const s = await serveMetrics(metrics, listen.host, listen.port);
    p.log.info(`Metrics served on http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}/metrics`);
    return s;
  } catch (e) {
    p.log.error(`Unable to serve metrics on ${listen.host}:${listen.port}: ${(e as Error).message}`);
    return undefined;
  }
}
