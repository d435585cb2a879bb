/**
 * The normalisation test/interop/dumps.test.ts describes (times, socket fds, the advert counter,
 * a script's result counter and run state, an unheard master, a master's down timer, the
 * libnftnl line), shared by the dump diffs against keepalived 2.2.7.
 */
export function normaliseText(text: string): string {
  const out: string[] = [];
  let state = '';
  let section = '';
  const lines = text.split('\n');
  lines.forEach((l, i) => {
    if (/^------< (.*) >------$/.test(l)) section = l;
    if (/^ libnftnl version /.test(l)) return;
    const st = /^ {3}State = (\w+)$/.exec(l);
    if (st && section.includes('Topology')) state = st[1] as string;
    if (/^ {3}Master router = /.test(l) && lines[i + 1] === '   Master priority = 0') l = '   Master router = (none heard)';
    if (/^ {3}Master down timer = /.test(l) && state === 'MASTER') l = '   Master down timer = (master)';
    if (section.includes('Scripts')) l = l.replace(/^( {3}Result = )\d+$/, '$1N').replace(/^( {3}State = )(idle|running)$/, '$1(idle|running)');
    l = l.replace(/\d+\.\d{6} \([^)]*\)/g, 'TIME').replace(/fd_in \d+, fd_out \d+/, 'fd_in FD, fd_out FD').replace(/fd_in \d+ fd_out = \d+/, 'fd_in FD fd_out = FD');
    l = l.replace(/^( {4}Sent: )\d+$/, '$1N');
    out.push(l);
  });
  return out.join('\n');
}

