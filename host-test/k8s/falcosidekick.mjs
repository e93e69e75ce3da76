// Falcosidekick's reading of WEBHOOK_CUSTOMHEADERS, as a real Falcosidekick
// 2.34 showed it against the Fluent Bit pipeline: the value is split at ","
// into pairs and each pair at ":", with no escaping; a pair that does not
// split into exactly a key and a value is dropped. So a token holding "," or
// ":" loses the whole Authorization header (and every post gets 401).
export function sidekickHeaders(value) {
  const headers = {};
  for (const pair of value.split(',')) {
    const parts = pair.split(':');
    if (parts.length === 2 && parts[0] !== '') headers[parts[0]] = parts[1];
  }
  return headers;
}
