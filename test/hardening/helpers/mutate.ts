/** Seeded byte-level mutations for fuzzing the model and image loaders. */
import { Rng } from '../../../src/engine/util/random';

export type Mutation = 'bit-flip' | 'insert' | 'delete' | 'truncate' | 'varint' | 'duplicate';
export const MUTATIONS: Mutation[] = ['bit-flip', 'insert', 'delete', 'truncate', 'varint', 'duplicate'];

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** One mutation of `b` (a new array; `b` is not changed). */
export function mutateOnce(b: Uint8Array, kind: Mutation, rng: Rng): Uint8Array {
  const n = b.length;
  const at = rng.int(n + 1);
  switch (kind) {
    case 'bit-flip': {
      const out = Uint8Array.from(b);
      for (let k = 1 + rng.int(8); k > 0 && n > 0; k--) out[rng.int(n)] ^= 1 << rng.int(8);
      return out;
    }
    case 'insert':
      return concat(
        b.subarray(0, at),
        Uint8Array.from({ length: 1 + rng.int(16) }, () => rng.int(256)),
        b.subarray(at),
      );
    case 'delete':
      return concat(b.subarray(0, at), b.subarray(Math.min(n, at + 1 + rng.int(32))));
    case 'truncate':
      return b.subarray(0, at).slice();
    case 'varint': {
      // Protobuf lengths and tags are varints: make one huge, over-long or unterminated. Start at a byte
      // that continues a varint (high bit set) when there is one nearby, so real fields get hit.
      let p = at;
      for (let k = 0; k < 64 && p < n && b[p] < 0x80; k++) p++;
      if (p >= n) p = Math.min(at, Math.max(0, n - 1));
      const forms = [[0xff, 0xff, 0xff, 0xff, 0x0f], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], [0xff], [0x00]];
      const form = Uint8Array.from(forms[rng.int(forms.length)]);
      return concat(b.subarray(0, p), form, b.subarray(Math.min(n, p + form.length)));
    }
    case 'duplicate': {
      const from = rng.int(n + 1),
        len = rng.int(64);
      return concat(b.subarray(0, at), b.subarray(from, Math.min(n, from + len)), b.subarray(at));
    }
  }
}

/** 1–3 random mutations; returns the bytes and what was done, for the report. */
export function mutate(b: Uint8Array, rng: Rng): { bytes: Uint8Array; done: Mutation[] } {
  const done: Mutation[] = [];
  let out = b;
  for (let k = 1 + rng.int(3); k > 0; k--) {
    const kind = MUTATIONS[rng.int(MUTATIONS.length)];
    out = mutateOnce(out, kind, rng);
    done.push(kind);
  }
  return { bytes: out, done };
}
