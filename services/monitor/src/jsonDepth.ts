/**
 * True when JSON text nests arrays/objects deeper than `limit`. One iterative
 * pass over the characters (strings and escapes skipped), so it is safe on any
 * input; it runs before JSON.parse and before any recursive code (the
 * CloudEvents SDK, payload decoding, JSON.stringify in messages) sees the value.
 * Invalid JSON is left for the parser to reject.
 */
export function exceedsJsonDepth(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limit) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}
