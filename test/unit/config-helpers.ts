// Shared helpers for the config-* unit tests (not a test file itself: no `.test.` in the name).
import { loadConfigText, type LoadResult } from '../../src/config/load';
import type { Diagnostic } from '../../src/config/diagnostics';

export function load(text: string, configId = 'test'): LoadResult {
  return loadConfigText(text, 'test.conf', { configId, readFile: (p) => { throw new Error(`no file ${p}`); } });
}

export const errors = (r: LoadResult): Diagnostic[] => r.diagnostics.filter((d) => d.severity === 'error' || d.severity === 'fatal');
export const withCode = (r: LoadResult, code: string): Diagnostic[] => r.diagnostics.filter((d) => d.code === code);

/** A minimal valid instance with extra lines spliced in. */
export function instance(extra = '', name = 'VI_1'): string {
  return `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n${extra}\n}\n`;
}
