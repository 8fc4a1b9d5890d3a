import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtoError, ProtoReader, ProtoWriter, Wire, varintSize } from '../../../src/engine/onnx/protobuf';

function reader(bytes: Uint8Array, name = 'Msg'): ProtoReader {
  return new ProtoReader(bytes, 0, bytes.length, name);
}

function expectProtoError(fn: () => unknown, pattern: RegExp): ProtoError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ProtoError, `expected ProtoError, got ${String(err)}`);
  assert.match(err.message, pattern);
  return err;
}

test('varints round-trip: 32-bit, 53-bit numbers, 64-bit bigints, negatives as 10 bytes', () => {
  const unsigned: (number | bigint)[] = [
    0,
    1,
    127,
    128,
    300,
    16383,
    16384,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 35 + 7,
    Number.MAX_SAFE_INTEGER,
    2n ** 53n,
    2n ** 63n - 1n,
    2n ** 64n - 1n,
  ];
  for (const v of unsigned) {
    const bytes = new ProtoWriter().varint(v).finish();
    assert.equal(bytes.length, varintSize(v), `size of ${v}`);
    const r = reader(bytes);
    const got = r.uint64();
    assert.equal(got, typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v, `uint64 ${v}`);
    assert.ok(r.eof());
    assert.equal(reader(bytes).uint64Big(), BigInt(v));
  }
  // uint64 beyond 2^53 comes back as a bigint, never a rounded number.
  assert.equal(typeof reader(new ProtoWriter().varint(2n ** 53n).finish()).uint64(), 'bigint');
  const signed: [number | bigint, number | bigint][] = [
    [-1, -1],
    [-2, -2],
    [-(2 ** 31), -(2 ** 31)],
    [-(2 ** 53) + 1, -(2 ** 53) + 1],
    [-(2n ** 63n), -(2n ** 63n)],
    [2n ** 63n - 1n, 2n ** 63n - 1n],
    [-(2n ** 60n), -(2n ** 60n)],
  ];
  for (const [v, want] of signed) {
    const bytes = new ProtoWriter().varint(v).finish();
    if ((typeof v === 'number' ? v : Number(v)) < 0) assert.equal(bytes.length, 10, `negative ${v} is 10 bytes`);
    assert.equal(reader(bytes).int64(), want, `int64 ${v}`);
    assert.equal(reader(bytes).int64Big(), BigInt(v));
  }
  assert.equal(reader(new ProtoWriter().varint(-5).finish()).int32(), -5);
  assert.equal(reader(new ProtoWriter().varint(0xffffffff).finish()).uint32(), 0xffffffff);
  assert.deepEqual([...new ProtoWriter().varint(300).finish()], [0xac, 0x02]);
});

test('fixed-width, floats, strings and tags round-trip', () => {
  const w = new ProtoWriter()
    .fixed32Field(1, 0xdeadbeef)
    .floatField(2, 1.5)
    .doubleField(3, -Math.PI)
    .fixed64Field(4, 2n ** 64n - 2n)
    .stringField(5, 'héllo ✓')
    .varintField(6, true)
    .varintField(7, -3);
  const r = reader(w.finish());
  const got: unknown[] = [];
  while (r.next()) {
    switch (r.field) {
      case 1:
        r.want(Wire.I32, 'a');
        got.push(r.fixed32());
        break;
      case 2:
        got.push(r.float());
        break;
      case 3:
        got.push(r.double());
        break;
      case 4:
        got.push(r.fixed64Big());
        break;
      case 5:
        got.push(r.string());
        break;
      case 6:
        got.push(r.bool());
        break;
      case 7:
        got.push(r.int64());
        break;
    }
  }
  assert.deepEqual(got, [0xdeadbeef, 1.5, -Math.PI, 2n ** 64n - 2n, 'héllo ✓', true, -3]);
});

test('bytes fields are zero-copy views of the input buffer', () => {
  const payload = new Uint8Array(100_000).map((_, i) => i & 0xff);
  const bytes = new ProtoWriter().bytesField(9, payload).finish();
  const r = reader(bytes);
  assert.ok(r.next());
  const b = r.bytes();
  assert.equal(b.buffer, bytes.buffer, 'same ArrayBuffer');
  assert.equal(b.byteOffset, bytes.byteOffset + 1 + varintSize(payload.length));
  assert.deepEqual(b, payload);
});

test('packed and unpacked repeated fields decode the same; writer packs', () => {
  const ints = [0, 1, -1, 300, 2 ** 40, -(2 ** 40)];
  const packed = new ProtoWriter().packedVarints(8, ints).finish();
  const unpacked = new ProtoWriter();
  for (const v of ints) unpacked.varintField(8, v);
  for (const bytes of [packed, unpacked.finish()]) {
    const r = reader(bytes);
    const out: (number | bigint)[] = [];
    while (r.next()) r.repeated(Wire.VARINT, 'ints', (s) => out.push(s.int64()));
    assert.deepEqual(out, ints);
  }
  assert.equal(reader(packed).next() && reader(packed).buf[0], (8 << 3) | Wire.LEN, 'packed uses one LEN field');

  const floats = [0, 1.5, -2.25, 3e-8];
  const pf = new ProtoWriter().packedFloats(4, floats).packedDoubles(10, floats).finish();
  const r = reader(pf);
  assert.ok(r.next());
  assert.deepEqual(
    [...r.floats('f')],
    floats.map((f) => Math.fround(f)),
  );
  assert.ok(r.next());
  assert.deepEqual([...r.doubles('d')], floats);
  const single = reader(new ProtoWriter().floatField(4, 2.5).finish());
  single.next();
  assert.deepEqual([...single.floats('f')], [2.5]);
  // Packed data must be whole elements.
  const bad = reader(new ProtoWriter().bytesField(4, new Uint8Array(6)).finish());
  bad.next();
  expectProtoError(() => bad.floats('float_data'), /packed float field 4 \(float_data\) has 6 bytes/);
});

test('unknown fields are skipped (all wire types, nested groups) and can be kept verbatim', () => {
  const w = new ProtoWriter()
    .varintField(50, 2n ** 63n)
    .fixed32Field(51, 7)
    .fixed64Field(52, 9n)
    .stringField(53, 'skip me')
    .tag(54, Wire.SGROUP)
    .varintField(1, 5)
    .tag(2, Wire.SGROUP)
    .stringField(3, 'inner')
    .tag(2, Wire.EGROUP)
    .tag(54, Wire.EGROUP)
    .varintField(1, 42);
  const bytes = w.finish();
  const r = reader(bytes);
  const kept: Uint8Array[] = [];
  let known = -1;
  while (r.next()) {
    if (r.field === 1) known = r.uint32();
    else r.keepUnknown(kept);
  }
  assert.equal(known, 42);
  assert.deepEqual(
    kept.map((k) => k.buffer === bytes.buffer),
    [true, true, true, true, true],
  );
  const rewritten = new ProtoWriter();
  for (const k of kept) rewritten.raw(k);
  rewritten.varintField(1, 42);
  assert.deepEqual(rewritten.finish(), bytes, 'kept bytes re-emit the original encoding');
});

test('nested messages via fork/ldelim, large byte chunks kept by reference', () => {
  const big = new Uint8Array(300_000).fill(7);
  const w = new ProtoWriter();
  w.varintField(1, 1);
  w.messageField(7, () => {
    w.stringField(2, 'g');
    w.messageField(5, () => {
      w.stringField(8, 'w');
      w.bytesField(9, big);
    });
    w.messageField(5, () => {
      w.stringField(8, 'empty');
    });
    w.messageField(5, () => undefined);
  });
  const bytes = w.finish();
  const r = reader(bytes, 'ModelProto');
  const seen: string[] = [];
  while (r.next()) {
    if (r.field !== 7) {
      r.skip();
      continue;
    }
    const g = r.message('graph');
    while (g.next()) {
      if (g.field === 2) seen.push(`name=${g.string()}`);
      else {
        const t = g.message('initializer');
        let desc = 'tensor';
        while (t.next()) desc += t.field === 8 ? `:${t.string()}` : `:${t.bytes().length}`;
        seen.push(desc);
      }
    }
  }
  assert.deepEqual(seen, ['name=g', 'tensor:w:300000', 'tensor:empty', 'tensor']);
});

test('truncation and corruption give ProtoErrors with byte offset and message path', () => {
  // Path through nested messages and indices.
  const w = new ProtoWriter();
  w.messageField(7, () => {
    w.messageField(1, () => w.stringField(4, 'Relu'));
    w.messageField(1, () => {
      w.stringField(4, 'Conv');
      w.messageField(5, () => w.stringField(1, 'kernel_shape'));
    });
  });
  const ok = w.finish();
  const walk = (bytes: Uint8Array) => {
    const r = reader(bytes, 'ModelProto');
    while (r.next()) {
      const g = r.message('graph');
      let i = 0;
      while (g.next()) {
        const n = g.message('node', i++);
        let a = 0;
        while (n.next()) {
          if (n.field === 5) {
            const at = n.message('attribute', a++);
            while (at.next()) at.string();
          } else n.string();
        }
      }
    }
  };
  walk(ok);
  // Corrupt the attribute's inner string length so it overruns only the attribute.
  const bad = ok.slice();
  const nameAt = bad.lastIndexOf((1 << 3) | 2); // tag of attribute.name
  bad[nameAt + 1] = 100;
  const e = expectProtoError(
    () => walk(bad),
    /needs 100 bytes but only 12 remain at byte \d+ in ModelProto\.graph\.node\[1\]\.attribute\[0\]/,
  );
  assert.equal(e.offset, nameAt + 1);
  assert.equal(e.path, 'ModelProto.graph.node[1].attribute[0]');

  const tv = reader(Uint8Array.of(0x08, 0x80, 0x80));
  tv.next();
  expectProtoError(() => tv.uint64(), /truncated varint \(2 bytes, message ends\) at byte 1 in Msg/);
  const long = reader(Uint8Array.of(...new Array(11).fill(0xff), 0x01));
  expectProtoError(() => long.uint64(), /varint longer than 10 bytes/);
  expectProtoError(() => reader(Uint8Array.of(0x0e)).next(), /invalid wire type 6 at byte 0/);
  expectProtoError(() => reader(Uint8Array.of(0x00)).next(), /invalid field number 0/);
  expectProtoError(() => reader(Uint8Array.of(0x0c)).next(), /unexpected end-group/);
  const fx = reader(Uint8Array.of(0x0d, 1, 2));
  fx.next();
  expectProtoError(() => fx.fixed32(), /truncated fixed32: needs 4 bytes, only 2 left at byte 1/);
  const grp = reader(Uint8Array.of(0x0b, 0x08, 0x01, 0x14));
  grp.next();
  expectProtoError(() => grp.skip(), /end-group 2 does not match start-group 1/);
  const open = reader(Uint8Array.of(0x0b, 0x08, 0x01));
  open.next();
  expectProtoError(() => open.skip(), /unterminated group/);
  const wrongWire = reader(Uint8Array.of(0x10, 0x01));
  wrongWire.next();
  expectProtoError(
    () => wrongWire.want(Wire.LEN, 'producer_name'),
    /field 2 \(producer_name\) has wire type varint, expected length-delimited at byte 0/,
  );
});

test('reading random bytes only ever throws ProtoError', () => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  for (let k = 0; k < 2000; k++) {
    const bytes = Uint8Array.from({ length: 1 + (k % 64) }, rnd);
    const r = reader(bytes);
    try {
      while (r.next()) {
        if (r.wire === Wire.LEN && r.field % 2) {
          const s = r.message('m');
          while (s.next()) s.skip();
        } else r.skip();
      }
    } catch (e) {
      assert.ok(e instanceof ProtoError, `input ${k}: ${String(e)}`);
    }
  }
});
