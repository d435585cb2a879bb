/**
 * A packet flooder for hostile-traffic tests, run as a child inside the attacker's namespace:
 *   node flood.js <spec.json>
 * spec: { ifname, pps, seconds, frames: hex[] } — the frames are sent in turn through the
 * addon's AF_PACKET socket, in batches every 5 ms, at `pps` for `seconds`. Prints one JSON line:
 * { sent, failed, seconds, pps } (the rate actually achieved).
 */
import fs from 'node:fs';
import { loadNative } from '../../src/net/native';

interface Spec {
  ifname: string;
  pps: number;
  seconds: number;
  frames: string[];
}

function main(): void {
  const spec = JSON.parse(fs.readFileSync(process.argv[2] as string, 'utf8')) as Spec;
  const addon = loadNative();
  const sock = addon.packetSocket();
  const ifindex = Number(fs.readFileSync(`/sys/class/net/${spec.ifname}/ifindex`, 'utf8'));
  const frames = spec.frames.map((h) => Buffer.from(h, 'hex'));
  const t0 = performance.now();
  const end = t0 + spec.seconds * 1000;
  let sent = 0;
  let failed = 0;
  let i = 0;
  const tick = (): void => {
    const now = performance.now();
    const due = Math.min(Math.floor(((Math.min(now, end) - t0) / 1000) * spec.pps), Math.round(spec.seconds * spec.pps));
    while (sent + failed < due) {
      try {
        addon.sendFrame(sock, ifindex, frames[i++ % frames.length] as Buffer);
        sent++;
      } catch {
        failed++; // ENOBUFS/EAGAIN: counted, not retried
      }
    }
    if (now >= end) {
      const secs = (performance.now() - t0) / 1000;
      process.stdout.write(`${JSON.stringify({ sent, failed, seconds: secs, pps: Math.round(sent / secs) })}\n`);
      addon.close(sock);
      return;
    }
    setTimeout(tick, 5);
  };
  tick();
}

main();
