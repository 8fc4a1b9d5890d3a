/**
 * report.json's text: indented like JSON.stringify(report, null, 2), except that an array of plain values
 * (numbers, strings, booleans, null) stays on one line. The per-image table's columns and the frequency maps
 * are such arrays; one value a line made a 1,000-image × 7-attack report four times its compact size.
 * JSON.parse gives back exactly what JSON.stringify's text would.
 */
export function stringifyReport(value: unknown): string {
  return write(value, '') ?? 'null';
}

const isPlain = (v: unknown) => v === null || ['number', 'string', 'boolean'].includes(typeof v);

/** undefined where JSON.stringify leaves the value out (undefined, functions, symbols). */
function write(value: unknown, indent: string): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function')
    value = (value as { toJSON(): unknown }).toJSON();
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every(isPlain)) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
    return `[\n${value.map((v) => inner + (write(v, inner) ?? 'null')).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).flatMap(([k, v]) => {
    const text = write(v, inner);
    return text === undefined ? [] : [`${inner}${JSON.stringify(k)}: ${text}`];
  });
  return entries.length ? `{\n${entries.join(',\n')}\n${indent}}` : '{}';
}
