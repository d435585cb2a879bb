/** Worker-thread side of WorkerScriptRunner: run each requested script and post the result back. */
import { parentPort } from 'node:worker_threads';
import { ProcessScriptRunner, type RunOptions } from './exec';

const runner = new ProcessScriptRunner();
parentPort?.on('message', (m: { id: number; argv: string[]; opts: RunOptions }) => {
  void runner.run(m.argv, m.opts).then((result) => parentPort?.postMessage({ id: m.id, result }));
});
