/**
 * NftPort: the kernel side of the no_accept firewall. The real adapter runs the `nft` binary
 * (nftables package) with the script on stdin, so every change is one atomic transaction; the
 * scripts come from net/nft-rules (pure). Tests use a fake that records the scripts.
 */
import type { execFile as ExecFileFn } from 'node:child_process';
import fs from 'node:fs';

/** node:child_process is required on first use, not at start-up (it pulls in net, streams and more). */
const execFile = ((...a: Parameters<typeof ExecFileFn>) => (require('node:child_process') as { execFile: typeof ExecFileFn }).execFile(...a)) as typeof ExecFileFn;

export interface NftPort {
  /** Apply a script atomically (`nft -f -`); rejects with nft's message when it refuses. */
  run(script: string): Promise<void>;
  /** `nft list tables` text. */
  listTables(): Promise<string>;
}

const NFT_BIN = ['/usr/sbin/nft', '/sbin/nft', '/usr/bin/nft'].find((p) => fs.existsSync(p)) ?? 'nft';
const TIMEOUT_MS = 10_000;

function nft(args: string[], stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const cp = execFile(NFT_BIN, args, { timeout: TIMEOUT_MS, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`nft ${args.join(' ')}: ${String(stderr).trim() || err.message}`));
      else resolve(String(stdout));
    });
    if (stdin !== undefined) cp.stdin?.end(stdin);
  });
}

export class NftCli implements NftPort {
  run(script: string): Promise<void> {
    return script ? nft(['-f', '-'], script).then(() => undefined) : Promise.resolve();
  }
  listTables(): Promise<string> {
    return nft(['list', 'tables']);
  }
}
