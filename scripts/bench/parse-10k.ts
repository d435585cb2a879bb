/**
 * Benchmark: generate a 10,000-instance keepalived.conf and time parse + validate (loadConfigText).
 * Usage: node dist/scripts/bench/parse-10k.js [instances]   (target: < 1000 ms for 10,000)
 */
import { loadConfigText } from '../../src/config/load';

export function generate(n: number): string {
  const out: string[] = ['global_defs {\n  router_id bench\n  enable_script_security\n}\n', 'vrrp_script chk {\n  script "/bin/true"\n  interval 2\n}\n'];
  for (let i = 0; i < n; i++) {
    // VRIDs 1..250 repeat; a different interface per block of 250 keeps them unique per link.
    const vrid = (i % 250) + 1;
    const dev = `eth${Math.floor(i / 250)}`;
    const a = 2 + (i % 250);
    const b = Math.floor(i / 250) % 256;
    out.push(`vrrp_instance VI_${i} {
  state ${i % 2 ? 'BACKUP' : 'MASTER'}
  interface ${dev}
  virtual_router_id ${vrid}
  priority ${100 + (i % 100)}
  advert_int 1
  virtual_ipaddress {
    10.${b}.${a}.1/24 dev ${dev}
    10.${b}.${a}.2/24 dev ${dev} label ${dev}:1
  }
  track_script {
    chk weight 2
  }
  track_interface {
    ${dev} weight -10
  }
}
`);
  }
  return out.join('');
}

function main(): void {
  const n = Number(process.argv[2] ?? 10000);
  const text = generate(n);
  const opts = { configId: 'bench', readFile: (p: string): string => { throw new Error(`unexpected include ${p}`); } };
  loadConfigText(generate(50), 'warmup.conf', opts); // compile the ajv schema outside the timing
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const r = loadConfigText(text, 'bench.conf', opts);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  // CPU time too: on a loaded machine wall time mostly measures the other processes.
  const cpu = process.cpuUsage(c0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const errs = r.diagnostics.filter((d) => d.severity === 'error' || d.severity === 'fatal');
  console.log(`parse+validate ${n} instances (${(text.length / 1e6).toFixed(1)} MB): ${ms.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU; instances=${r.model?.vrrpInstances.length ?? 0} errors=${errs.length}`);
  if (errs.length) console.log(errs.slice(0, 3));
  process.exitCode = ms < 1000 && errs.length === 0 && r.model?.vrrpInstances.length === n ? 0 : 1;
}

if (require.main === module) main();
