/**
 * Wire input never throws (DESIGN rule 3): IPVS genl replies whose attributes are shorter than
 * their type (a u32 of 0..3 bytes, an af of 1 byte) used to throw RangeError out of the netlink
 * callback. Every decoder, every attribute type, every short length: an error result or a
 * value, never an exception.
 */
import t from 'tap';
import { decodeDaemon, decodeDest, decodeFamilyId, decodeInfo, decodeService, decodeTimeouts } from '../../src/lvs/ipvs-codec';

function attr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const out = Buffer.alloc((len + 3) & ~3);
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  payload.copy(out, 4);
  return out;
}
const genl = (...attrs: Buffer[]) => Buffer.concat([Buffer.from([1, 1, 0, 0]), ...attrs]);

t.test('IPVS decoders return an error result for every short attribute', async (t) => {
  let threw = 0;
  let cases = 0;
  const decoders: Array<[string, (p: Buffer) => unknown]> = [
    ['service', decodeService],
    ['dest', (p) => decodeDest(p, 'inet')],
    ['dest6', (p) => decodeDest(p, 'inet6')],
    ['daemon', decodeDaemon],
    ['info', decodeInfo],
    ['timeouts', decodeTimeouts],
    ['family', decodeFamilyId],
  ];
  for (const [name, dec] of decoders) {
    for (let top = 1; top <= 6; top++) {
      for (let inner = 1; inner <= 15; inner++) {
        for (let len = 0; len < 4; len++) {
          const short = attr(inner, Buffer.alloc(len, 0x01));
          // the attribute alone (flat decoders) and nested in the top-level attribute, beside a
          // valid-looking af so the decoders get past their first checks
          for (const p of [genl(short), genl(attr(top, Buffer.concat([attr(1, Buffer.from([2, 0])), short]))), genl(attr(top, short))]) {
            cases++;
            try {
              const r = dec(p) as { ok: boolean };
              if (typeof r.ok !== 'boolean') threw++;
            } catch (e) {
              threw++;
              if (threw < 4) t.comment(`${name} top=${top} inner=${inner} len=${len}: ${(e as Error).message}`);
            }
          }
        }
      }
    }
  }
  t.ok(cases > 1000, `${cases} cases`);
  t.equal(threw, 0, 'no decoder threw');
  t.match(decodeService(genl(attr(1, attr(1, Buffer.from([2]))))), { ok: false });
});
