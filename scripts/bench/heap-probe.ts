/**
 * Bench-only preload (`node -r heap-probe.js`): every 2 s writes what the V8 heap holds to
 * $TSK_HEAP_PROBE (JSON: process.memoryUsage(), heap spaces, code statistics), so
 * many-instances.ts can print where the daemon's memory goes. Costs one 2 s timer (unref'd).
 * With $TSK_HEAP_SNAPSHOT (a file name) set, also writes one heap snapshot there after
 * $TSK_HEAP_SNAPSHOT_AFTER_S seconds (default 15), for a look at what each instance holds.
 */
import fs from 'node:fs';
import v8 from 'node:v8';

const file = process.env['TSK_HEAP_PROBE'];
if (file) {
  setInterval(() => {
    const code = v8.getHeapCodeStatistics();
    const doc = {
      memory: process.memoryUsage(),
      spaces: Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size }])),
      code: { bytecodeAndMetadata: code.bytecode_and_metadata_size, codeAndMetadata: code.code_and_metadata_size, scriptSource: code.external_script_source_size },
    };
    try {
      fs.writeFileSync(file, JSON.stringify(doc));
    } catch {
      /* the bench is gone */
    }
  }, 2000).unref();
}

const snap = process.env['TSK_HEAP_SNAPSHOT'];
if (snap) {
  setTimeout(() => v8.writeHeapSnapshot(snap), Number(process.env['TSK_HEAP_SNAPSHOT_AFTER_S'] ?? 15) * 1000).unref();
}
