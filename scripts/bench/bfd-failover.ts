/**
 * Benchmark: VRRP failover driven by track_bfd vs plain VRRP, measured on the wire (see
 * test/support/bfd-failover.ts): 'bfd' = the master's tracked BFD path is cut (50 ms × 3);
 * 'crash' = the master is SIGKILLed with no BFD (Master_Down_Interval). Our daemon on all hosts.
 * Usage (root): node dist/scripts/bench/bfd-failover.js [--runs N]
 */
import { Lab } from '../../test/support/netns';
import { DETECT_MS, MASTER_DOWN_MS, SKEW_MS, failoverOnce } from '../../test/support/bfd-failover';
import { median } from './wire-capture';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runs = Number(args[args.indexOf('--runs') + 1]) || 3;
  const rows = ['| case | expected (ms) | median measured (ms) | runs | samples (ms) |', '|---|---|---|---|---|'];
  for (const [how, expected, name] of [
    ['bfd', DETECT_MS + SKEW_MS, 'track_bfd path cut (Detection Time 150 ms + Skew_Time)'],
    ['crash', MASTER_DOWN_MS, 'plain VRRP, master SIGKILL (Master_Down_Interval)'],
  ] as const) {
    const xs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const lab = await Lab.create(null, { hosts: 3 });
      try {
        const r = await failoverOnce(lab, how);
        if (r) xs.push(r.failoverMs);
      } finally {
        await lab.destroy();
      }
    }
    rows.push(`| ${name} | ${expected.toFixed(1)} | ${xs.length ? median(xs).toFixed(1) : 'n/a'} | ${xs.length}/${runs} | ${xs.map((x) => x.toFixed(1)).join(', ')} |`);
  }
  console.log(rows.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
