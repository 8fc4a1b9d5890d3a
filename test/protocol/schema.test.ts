import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  array,
  check,
  either,
  integer,
  literal,
  nullable,
  number,
  object,
  oneOf,
  optional,
  record,
  refine,
  string,
  tagged,
  tuple,
  type Infer,
} from '../../src/protocol/schema';
import { packNumericArrays, unpackNumericArrays } from '../../src/protocol/packedArrays';

const reason = (r: { ok: boolean; reason?: string }) => {
  assert.equal(r.ok, false);
  return r.reason;
};

describe('schema combinators', () => {
  const point = object({ x: number(), y: optional(integer({ min: 0, max: 9 })), tags: array(string({ max: 3 }), { min: 1, max: 2 }) });

  it('accept the value as it is and type it', () => {
    const v = { x: 1.5, tags: ['a'] };
    const r = check(point, v);
    assert.ok(r.ok);
    const typed: Infer<typeof point> = r.value;
    assert.equal(typed, v, 'no copy');
  });

  it('name the path of the offending value', () => {
    const wrap = object({ points: array(point, { max: 5 }) });
    assert.equal(
      reason(
        check(wrap, {
          points: [
            { x: 1, tags: ['a'] },
            { x: 1, tags: ['toolong'] },
          ],
        }),
      ),
      'points[1].tags[0] must be a non-empty string of at most 3 characters',
    );
    assert.equal(reason(check(wrap, { points: [{ x: NaN, tags: ['a'] }] })), 'points[0].x must be a finite number in range');
    assert.equal(reason(check(wrap, { points: [{ x: 1, y: 10, tags: ['a'] }] })), 'points[0].y must be a whole number in [0, 9]');
    assert.equal(reason(check(wrap, { points: [{ x: 1, tags: [] }] })), 'points[0].tags must be a list of 1–2 items');
    assert.equal(reason(check(wrap, { points: [{ x: 1, tags: ['a'], z: 0 }] })), 'points[0] has unexpected field(s) z');
  });

  it('require plain objects: arrays, class instances and inherited fields are refused', () => {
    assert.equal(reason(check(point, [])), 'must be an object');
    assert.equal(
      reason(
        check(
          point,
          new (class P {
            x = 1;
            tags = ['a'];
          })(),
        ),
      ),
      'must be a plain object',
    );
    assert.equal(reason(check(point, Object.create({ x: 1, tags: ['a'] }))), 'must be a plain object');
    assert.ok(check(point, Object.assign(Object.create(null), { x: 1, tags: ['a'] })).ok, 'a null-prototype object is plain data');
    assert.equal(reason(check(object({}, { label: 'ping' }), JSON.parse('{"__proto__": {}}'))), 'ping has unexpected field(s) __proto__');
  });

  it('optional keys may be absent or undefined; nullable ones may be null, nothing else', () => {
    const o = object({ a: optional(literal('x')), b: nullable(oneOf(['p', 'q'])) });
    assert.ok(check(o, { b: null }).ok);
    assert.ok(check(o, { a: undefined, b: 'p' }).ok);
    assert.equal(reason(check(o, { a: 'x' })), 'b must be one of p, q (got undefined)');
    assert.equal(reason(check(o, { a: 'y', b: 'p' })), 'a must be "x"');
  });

  it('records check keys and values; tuples, either and refine', () => {
    const r = record(number(), { key: (k) => (/^[a-z]+$/.test(k) ? null : `has a bad key ${JSON.stringify(k)}`) });
    assert.equal(reason(check(r, { ok: 1, 'no!': 2 }, 'm')), 'm has a bad key "no!"');
    assert.equal(reason(check(r, { ok: 'one' }, 'm')), 'm.ok must be a finite number in range');
    const size = either(
      Array.isArray,
      tuple([integer({ min: 1 }), integer({ min: 1 })], { message: 'must be a number or [height, width]' }),
      integer({ min: 1 }),
    );
    assert.ok(check(size, 3).ok && check(size, [2, 3]).ok);
    assert.equal(reason(check(size, [2, 3, 4], 'size')), 'size must be a number or [height, width]');
    assert.equal(reason(check(size, [2, 0], 'size')), 'size[1] must be a whole number in [1, 9007199254740991]');
    const even = refine(integer({ min: 0 }), (n) => (n % 2 ? 'must be even' : null));
    assert.equal(reason(check(even, 3, 'n')), 'n must be even');
  });

  it('tagged unions pick the member by its tag and refuse unknown tags', () => {
    const shape = tagged(
      'kind',
      {
        circle: object({ kind: literal('circle'), r: number() }),
        square: object({ kind: literal('square'), side: number() }),
      },
      { label: 'shape' },
    );
    assert.ok(check(shape, { kind: 'circle', r: 1 }).ok);
    assert.equal(reason(check(shape, { kind: 'square', r: 1 })), 'unexpected field(s) r', 'no name at the top of an unlabelled member');
    assert.equal(reason(check(shape, { kind: 'hexagon' })), 'kind must be one of circle, square (got "hexagon")');
    assert.equal(reason(check(shape, 'circle')), 'shape must be an object');
    const custom = tagged('type', { a: object({ type: literal('a') }) }, { unknownTag: (t) => `no such type ${String(t)}` });
    assert.equal(reason(check(custom, { type: 'b' })), 'no such type b');
  });
});

describe('packed number arrays', () => {
  it('unpacking gives back exactly what was packed, as plain arrays', () => {
    const message = {
      type: 'section',
      section: {
        x: Array.from({ length: 100 }, (_, i) => i / 7),
        nested: [{ v: Array.from({ length: 64 }, (_, i) => -i) }],
        short: [1, 2],
        text: 'a',
      },
    };
    const packed = packNumericArrays(message);
    assert.ok(packed.section.x instanceof Float64Array);
    const back = unpackNumericArrays(packed);
    assert.deepEqual(back, message);
    assert.ok(Array.isArray(back.section.x) && Array.isArray(back.section.nested[0].v));
  });
});
