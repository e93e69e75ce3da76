// Severity crosswalks for the syslog-borne formats, from Sysdig's severity
// (event.severity, 0 = most severe … 7; the Falco priority order Emergency,
// Alert, Critical, Error, Warning, Notice, Informational, Debug):
//
//   Sysdig          0   1   2   3   4   5   6   7   none  pipeline_error
//   CEF (0–10)     10   9   8   7   6   4   3   0    3         5
//   LEEF sev(1–10) 10   9   8   7   6   4   3   1    3         5
//   syslog (0–7)    0   1   2   3   4   5   6   7    6         4
//
// CEF follows Falcosidekick's Falco-priority table (Emergency 10, Alert 9,
// Critical 8, Error 7, Warning 6, Notice 4, Informational 3, Debug 0), which
// lands Sysdig's own bands in ArcSight's: 0–3 "high" → 7–10 (High, Very-High),
// 4–5 "medium" → 4–6 (Medium), 6 "low" → 3 (Low). LEEF has no 0, so Debug is
// 1. Events that carry no severity (activity audit) are informational; a
// record the normalizer could not map is raised a little, to be looked at.

const CEF: StaticArray<i32> = [10, 9, 8, 7, 6, 4, 3, 0];
const LEEF: StaticArray<i32> = [10, 9, 8, 7, 6, 4, 3, 1];

export const SEV_NONE: i32 = -1;
export const SEV_PIPELINE_ERROR: i32 = -2;

export function cefSeverity(sysdig: i32): i32 {
  if (sysdig >= 0 && sysdig <= 7) return CEF[sysdig];
  return sysdig == SEV_PIPELINE_ERROR ? 5 : 3;
}

export function leefSeverity(sysdig: i32): i32 {
  if (sysdig >= 0 && sysdig <= 7) return LEEF[sysdig];
  return sysdig == SEV_PIPELINE_ERROR ? 5 : 3;
}

export function syslogSeverity(sysdig: i32): i32 {
  if (sysdig >= 0 && sysdig <= 7) return sysdig;
  return sysdig == SEV_PIPELINE_ERROR ? 4 : 6;
}
