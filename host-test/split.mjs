// Splits an input file (or stdin) into per-record JSON texts, the way
// Fluent Bit's HTTP input turns a request body into records.
//
// Records are slices of the original text, never re-serialized, so 19-digit
// nanosecond timestamps reach the filter digit for digit. Malformed input is
// not rejected: it is passed on as a record so the filter's own error
// handling is what gets exercised.
//
// Only ASCII characters drive the scan, so a caller may pass bytes decoded
// as latin1 and re-encode the slices to get the exact input bytes back.

const OPENERS = { '{': '}', '[': ']' };

/**
 * @param {string} text
 * @returns {string[]}
 */
export function splitRecords(text) {
  const input = typeof text === 'string' ? text : String(text ?? '');
  const source = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  return splitAsValueSequence(source) ?? splitAsLines(source);
}

// A single object, a top-level array, NDJSON and concatenated (even
// pretty-printed) documents are all "objects/arrays separated by whitespace".
// Returns null as soon as the text is not that shape.
function splitAsValueSequence(text) {
  const records = [];
  let pos = skipWhitespace(text, 0);
  while (pos < text.length) {
    const container = scanContainer(text, pos);
    if (!container) return null;
    if (text[pos] === '[') records.push(...container.elements);
    else records.push(text.slice(pos, container.end));
    pos = skipWhitespace(text, container.end);
  }
  return records;
}

// Fallback for text that is not a clean sequence: one record per non-empty
// line, so one broken line cannot swallow its neighbours.
function splitAsLines(text) {
  const records = [];
  for (const rawLine of text.split('\n')) {
    const line = trimJsonWhitespace(rawLine);
    if (line === '') continue;
    const container = line[0] === '[' ? scanContainer(line, 0) : null;
    if (container && container.end === line.length) records.push(...container.elements);
    else records.push(line);
  }
  return records;
}

// Scans the object or array starting at `start`. Returns the index just past
// its closing bracket and its top-level elements (trimmed, empty ones left
// out), or null when it is not a balanced container. Iterative, so nesting
// depth is unbounded.
function scanContainer(text, start) {
  const closer = OPENERS[text[start]];
  if (!closer) return null;
  const expectedClosers = [closer];
  const elements = [];
  let elementStart = start + 1;

  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      i = findStringEnd(text, i);
      if (i < 0) return null;
    } else if (ch === '{' || ch === '[') {
      expectedClosers.push(OPENERS[ch]);
    } else if (ch === '}' || ch === ']') {
      if (expectedClosers.pop() !== ch) return null;
      if (expectedClosers.length === 0) {
        pushElement(elements, text.slice(elementStart, i));
        return { end: i + 1, elements };
      }
    } else if (ch === ',' && expectedClosers.length === 1) {
      pushElement(elements, text.slice(elementStart, i));
      elementStart = i + 1;
    }
  }
  return null;
}

// `[]` and a trailing comma yield empty slices; they hold no record.
function pushElement(elements, slice) {
  const element = trimJsonWhitespace(slice);
  if (element !== '') elements.push(element);
}

// Returns the index of the quote closing the string that opens at `start`,
// or -1 if the text ends first.
function findStringEnd(text, start) {
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') i++;
    else if (ch === '"') return i;
  }
  return -1;
}

function isJsonWhitespace(code) {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function skipWhitespace(text, pos) {
  while (pos < text.length && isJsonWhitespace(text.charCodeAt(pos))) pos++;
  return pos;
}

// String.prototype.trim also strips U+00A0 and friends, which would cut
// into latin1-decoded UTF-8 (0xA0 is a valid continuation byte).
function trimJsonWhitespace(text) {
  let start = 0;
  let end = text.length;
  while (start < end && isJsonWhitespace(text.charCodeAt(start))) start++;
  while (end > start && isJsonWhitespace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}
