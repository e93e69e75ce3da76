// Sysdig's severity scale (0 = most severe) and its crosswalk:
//   0–3 high · 4–5 medium · 6 low · 7 informational
// event.severity keeps Sysdig's number; log.level and Splunk's CIM
// `severity` carry the label.

export function severityLabel(v: i64): string {
  if (v < 0 || v > 7) return "";
  if (v <= 3) return "high";
  if (v <= 5) return "medium";
  if (v == 6) return "low";
  return "informational";
}
