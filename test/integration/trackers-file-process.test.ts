/**
 * track_file and vrrp_track_process against the real filesystem and /proc:
 * file values picked up through fs.watch (the periodic re-read is set far away to prove
 * the watch works) and turned into weight × value; init_file; a real `sleep` started
 * under a distinctive name appears and disappears, with quorum and delay.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor, killAll } from '../support/netns';
import { SystemClock } from '../../src/runtime/clock';
import { Trackers } from '../../src/runtime/trackers';
import { MemoryLogger } from '../../src/observe/log';
import { computePriority } from '../../src/track/priority';
import type { TrackState } from '../../src/track/rise-fall';

function tmpdir(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-tfp-'));
  fs.chmodSync(dir, 0o755);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function make(t: { teardown(fn: () => void): void }, opts: { filePollMs?: number; procPollMs?: number } = {}) {
  const log = new MemoryLogger();
  const changes: Array<[string, string, TrackState | number]> = [];
  const tr = new Trackers({ clock: new SystemClock(), log, onChange: (k, n, s) => changes.push([k, n, s]), ...opts });
  t.teardown(() => tr.stop());
  return { log, changes, tr };
}

t.test('track_file: values via fs.watch, weight × value, FAULT rules', async (t) => {
  const dir = tmpdir(t);
  const file = path.join(dir, 'prio');
  fs.writeFileSync(file, '3\n');
  const { changes, tr } = make(t, { filePollMs: 600_000 });
  tr.addFile({ name: 'tf', path: file });
  tr.start();
  t.same(changes, [['file', 'tf', 3]], 'initial read');
  const prio = (weight: number): ReturnType<typeof computePriority> =>
    computePriority({ basePriority: 100, items: tr.items([{ kind: 'file', name: 'tf', weight, reverse: false }]) });
  t.equal(prio(5).effectivePriority, 115);
  fs.writeFileSync(file, '-4\n');
  t.ok(await waitFor(() => tr.fileValue('tf') === -4, 3000), 'write picked up by the watch');
  t.equal(prio(5).effectivePriority, 80);
  t.equal(prio(0).fault, true, 'weight 0 with non-zero value → FAULT');
  // Replace by rename, as editors do.
  fs.writeFileSync(file + '.new', '0\n');
  fs.renameSync(file + '.new', file);
  t.ok(await waitFor(() => tr.fileValue('tf') === 0, 3000), 'rename picked up');
  t.equal(prio(0).fault, false);
  fs.unlinkSync(file);
  fs.writeFileSync(file, '100\n');
  t.ok(await waitFor(() => tr.fileValue('tf') === 100, 3000));
  t.equal(prio(-3).fault, true, '100 × -3 < -253 → FAULT');
  // Every change went out through onChange (a truncate-then-write may add a transient 0).
  const values = changes.map((c) => c[2]);
  t.equal(values[0], 3);
  t.equal(values[values.length - 1], 100);
  t.ok(values.includes(-4));
});

t.test('track_file: periodic re-read catches what the watch cannot see; init_file', async (t) => {
  const dir = tmpdir(t);
  const sub = path.join(dir, 'later');
  const file = path.join(sub, 'v');
  const created = path.join(dir, 'created');
  const { tr } = make(t, { filePollMs: 200 });
  tr.addFile({ name: 'late', path: file });
  tr.addFile({ name: 'init', path: created, initFile: { value: 7, overwrite: false } });
  tr.start();
  t.equal(tr.fileValue('late'), 0, 'missing file reads 0');
  t.equal(fs.readFileSync(created, 'utf8'), '7\n', 'init_file created the file');
  t.equal(tr.fileValue('init'), 7);
  fs.mkdirSync(sub);
  fs.writeFileSync(file, '9');
  t.ok(await waitFor(() => tr.fileValue('late') === 9, 3000), 'directory created later: re-read finds it');
});

t.test('track_process: a real process appears and disappears; quorum', async (t) => {
  const dir = tmpdir(t);
  const name = `tka_${process.pid % 100000}`.slice(0, 15);
  const bin = path.join(dir, name);
  fs.symlinkSync('/bin/sleep', bin);
  const procs: ChildProcess[] = [];
  t.teardown(() => killAll(procs));
  const { log, changes, tr } = make(t, { procPollMs: 100 });
  tr.addProcess({ name: 'one', process: [name] });
  tr.addProcess({ name: 'two', process: [name, '300'], quorum: 2 });
  tr.addProcess({ name: 'delayed', process: [name], terminateDelayMs: 800 });
  tr.start();
  t.equal(tr.processState('one'), 'down', 'absent at start');
  procs.push(spawn(bin, ['300'], { stdio: 'ignore' }));
  t.ok(await waitFor(() => tr.processState('one') === 'up', 3000), 'appeared');
  t.ok(log.has(`Quorum gained for tracked process one`));
  t.equal(tr.processState('two'), 'down', 'quorum 2 not reached with one process');
  procs.push(spawn(bin, ['300'], { stdio: 'ignore' }));
  t.ok(await waitFor(() => tr.processState('two') === 'up', 3000), 'quorum 2 reached');
  await killAll(procs);
  t.ok(await waitFor(() => tr.processState('one') === 'down', 3000), 'disappeared');
  t.ok(log.has('Quorum lost for tracked process one'));
  t.equal(tr.processState('delayed'), 'up', 'terminate_delay holds the state');
  t.ok(await waitFor(() => tr.processState('delayed') === 'down', 3000), 'then drops');
  const prio = computePriority({ basePriority: 100, items: tr.items([{ kind: 'process', name: 'one', weight: -20, reverse: false }]) });
  t.equal(prio.effectivePriority, 80);
  t.ok(changes.some((c) => c[0] === 'process' && c[1] === 'one' && c[2] === 'up'));
});
