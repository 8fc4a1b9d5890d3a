/**
 * Class names a model carries in its ONNX `metadata_props`, in logit order. Exporters write them in several
 * forms, all recognised here:
 *   - a JSON array of names:                 ["cat", "dog"]
 *   - a JSON object index → name (id2label):  {"0": "cat", "1": "dog"}
 *   - a Python dict or list as str() writes it — Ultralytics stores `str(model.names)` under "names":
 *                                             {0: 'cat', 1: 'dog'}   ['cat', 'dog']
 *   - a comma- or newline-separated list:     cat, dog
 * under the keys in CLASS_NAME_KEYS (case-insensitive), the first one that parses winning.
 */

/** Metadata keys that hold class names, most specific first. */
export const CLASS_NAME_KEYS = ['names', 'class_names', 'classnames', 'classes', 'labels', 'label_names', 'id2label', 'categories'];

export interface MetadataClassNames {
  /** The metadata key as written in the model. */
  key: string;
  /** In logit order. */
  names: string[];
}

/** The first recognised class-name list in the metadata, or null when there is none. */
export function classNamesFromMetadata(metadata: Record<string, string>): MetadataClassNames | null {
  const byLower = new Map(Object.keys(metadata).map((k) => [k.toLowerCase(), k]));
  for (const wanted of CLASS_NAME_KEYS) {
    const key = byLower.get(wanted);
    if (key === undefined) continue;
    const names = parseClassNameList(metadata[key]);
    if (names) return { key, names };
  }
  return null;
}

/** One metadata value as a list of at least two distinct, non-empty names in logit order; null if it is not one. */
export function parseClassNameList(value: string): string[] | null {
  const text = value.trim();
  let parsed: unknown;
  if (text.startsWith('[') || text.startsWith('{')) {
    parsed = parseJson(text) ?? parsePythonLiteral(text);
    if (parsed === undefined) return null;
  } else {
    parsed = (text.includes('\n') ? text.split(/\r?\n/) : text.split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
  }
  const names = Array.isArray(parsed)
    ? parsed
    : parsed !== null && typeof parsed === 'object'
      ? fromIndexMap(parsed as Record<string, unknown>)
      : null;
  if (!names || names.length < 2) return null;
  if (!names.every((n): n is string => typeof n === 'string' && n.trim().length > 0)) return null;
  const trimmed = names.map((n) => n.trim());
  return new Set(trimmed).size === trimmed.length ? trimmed : null;
}

/** {0: a, 1: b} in any key order → [a, b]; null unless the keys are exactly 0…N−1. */
function fromIndexMap(map: Record<string, unknown>): unknown[] | null {
  const entries = Object.entries(map);
  const out: unknown[] = new Array<unknown>(entries.length);
  for (const [k, v] of entries) {
    if (!/^(0|[1-9]\d*)$/.test(k.trim())) return null;
    const i = Number(k.trim());
    if (i >= entries.length || out[i] !== undefined) return null;
    out[i] = v;
  }
  return out;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The subset of Python literals that str() of a names dict or list produces: {int|str: str, …} and
 * [str, …], strings in single or double quotes with backslash escapes. Anything else → undefined.
 */
export function parsePythonLiteral(text: string): unknown {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const fail = (): never => {
    throw new SyntaxError(`unexpected input at ${i}`);
  };
  const str = (): string => {
    const q = text[i++];
    let out = '';
    while (i < text.length && text[i] !== q) {
      if (text[i] === '\\') {
        const c = text[++i];
        out += c === 'n' ? '\n' : c === 't' ? '\t' : (c ?? '');
        i++;
      } else out += text[i++];
    }
    if (text[i] !== q) fail();
    i++;
    return out;
  };
  const scalar = (): string | number => {
    ws();
    if (text[i] === "'" || text[i] === '"') return str();
    const m = /^-?\d+/.exec(text.slice(i));
    if (!m) return fail();
    i += m[0].length;
    return Number(m[0]);
  };
  const seq = <T>(close: string, item: () => T): T[] => {
    const out: T[] = [];
    i++;
    ws();
    while (text[i] !== close) {
      out.push(item());
      ws();
      if (text[i] === ',') {
        i++;
        ws();
      } else if (text[i] !== close) fail();
    }
    i++;
    return out;
  };
  try {
    ws();
    let value: unknown;
    if (text[i] === '[') value = seq(']', scalar);
    else if (text[i] === '{') {
      const pairs = seq('}', () => {
        const k = scalar();
        ws();
        if (text[i++] !== ':') fail();
        return [String(k), scalar()] as const;
      });
      value = Object.fromEntries(pairs);
      if (Object.keys(value as object).length !== pairs.length) return undefined; // a repeated key
    } else return undefined;
    ws();
    return i === text.length ? value : undefined;
  } catch {
    return undefined;
  }
}
