// The space-separated words of a table row (the field table, the CEF and
// LEEF key tables). Rows are parsed when the module is instantiated, and
// Fluent Bit before 4.1 instantiates the module afresh for every filter
// call, so this runs once per batch of records there: it takes substrings
// directly instead of String#split, which makes a string of every single
// space between the columns.

export function words(line: string): string[] {
  const out: string[] = [];
  let start = -1;
  const n = line.length;
  for (let i = 0; i < n; i++) {
    if (line.charCodeAt(i) == 32) {
      if (start >= 0) {
        out.push(line.substring(start, i));
        start = -1;
      }
    } else if (start < 0) {
      start = i;
    }
  }
  if (start >= 0) out.push(line.substring(start, n));
  return out;
}
