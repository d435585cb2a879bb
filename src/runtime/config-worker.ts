/**
 * SIGHUP reload: read and parse the configuration on a worker thread, so adverts keep going
 * meanwhile. A configuration near the expansion caps (50,000 generated lines) parses for
 * seconds on a loaded host; on the event loop that stopped every timer (issue 14). The worker
 * runs the whole front end (preprocess, parse, build, schema, resolve, validate) and posts the
 * LoadResult back (structured clone: the Model is plain data); the host-interface check needs
 * the addon's ioctls and runs on the main thread afterwards (cheap: one lookup per name).
 *
 * This file is both the API (main thread) and the worker's entry point.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { withInterfaceCheck, type LoadResult } from '../config/load';
import type { InterfaceLookup } from '../config/interfaces';
import type { DumpKind } from '../observe/dump-writer';
import { loadConfigFile } from './config-files';
import { dumpPathsFromNodes } from './dump-paths';

/** What the worker sends back: the load result and the dump paths of the same parse. */
export interface OffThreadLoad {
  result: LoadResult;
  dumpPaths: Record<DumpKind, string>;
}

interface Job {
  file: string;
  configId: string;
  allConfig?: boolean;
}

/** Load `file` on a worker thread; rejects if the worker fails or takes longer than `timeoutMs`. */
export function loadConfigFileOffThread(file: string, opts: { configId: string; allConfig?: boolean; interfaceExists?: InterfaceLookup }, timeoutMs = 60_000): Promise<OffThreadLoad> {
  const job: Job = { file, configId: opts.configId };
  if (opts.allConfig !== undefined) job.allConfig = opts.allConfig;
  return new Promise((resolve, reject) => {
    const w = new Worker(__filename, { workerData: job });
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      void w.terminate();
      reject(new Error(`configuration not parsed within ${timeoutMs} ms`));
    }, timeoutMs);
    w.once('message', (r: OffThreadLoad) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void w.terminate();
      resolve({ result: opts.interfaceExists ? withInterfaceCheck(r.result, opts.interfaceExists) : r.result, dumpPaths: r.dumpPaths });
    });
    w.once('error', (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(e);
    });
    w.once('exit', (code) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`configuration worker exited with code ${code}`));
    });
  });
}

if (!isMainThread && parentPort && (workerData as Job | undefined)?.file !== undefined) {
  const job = workerData as Job;
  const o: { configId: string; allConfig?: boolean } = { configId: job.configId };
  if (job.allConfig !== undefined) o.allConfig = job.allConfig;
  const r = loadConfigFile(job.file, o);
  // The tree stays here: the main thread needs the model, and the dump paths read from the tree.
  const msg: OffThreadLoad = { result: { ...r, nodes: [] }, dumpPaths: dumpPathsFromNodes(r.nodes) };
  parentPort.postMessage(msg);
}
