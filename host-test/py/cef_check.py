"""Parses CEF lines back with cefp and rebuilds them with cefevent (strict).

stdin: one JSON string (a CEF line) per line.
stdout: one JSON object per line:
  parsed     cefp.CEFParser.parse(line), or null with parse_error
  cefevent   the line cefevent builds, in strict mode, from the parsed values
             (keys it does not know are left out and listed in unknown_keys;
             a value it rejects is in cefevent_error)
"""
import json
import sys

from cefp import CEFParser
from cefevent import CEFEvent
from cefevent.extensions import extension_dictionary

HEADER = ["deviceVendor", "deviceProduct", "deviceVersion", "signatureId", "name", "severity"]


def rebuild(parsed):
    event = CEFEvent(strict=True)
    event.set_prefix("version", parsed["version"])
    device = parsed["device"]
    values = [device["vendor"], device["product"], device["version"], device["event_class_id"],
              parsed["name"], parsed["severity"]]
    for prefix, value in zip(HEADER, values):
        event.set_prefix(prefix, value)
    unknown = []
    for key, value in parsed["extension"].items():
        if key not in extension_dictionary:
            unknown.append(key)
            continue
        meta = extension_dictionary[key]
        # cefevent compares Integer/Long values with ">" and needs an int;
        # a value that is no integer stays text, and cefevent rejects it.
        if ("Integer" in meta["data_type"] or "Long" in meta["data_type"]) and \
                value.lstrip("-").isdigit() and value.isascii():
            value = int(value)
        # By full name: cefevent's key-name path drops a value that is 0.
        event.set_field(meta["full_name"], value)
    return event.build_cef(), unknown


for raw in sys.stdin:
    if not raw.strip():
        continue
    line = json.loads(raw)
    result = {"parsed": None, "parse_error": None, "cefevent": None, "unknown_keys": [], "cefevent_error": None}
    try:
        result["parsed"] = CEFParser.parse(line)
    except Exception as error:  # noqa: BLE001 - reported to the test
        result["parse_error"] = repr(error)
    if result["parsed"] is not None:
        try:
            result["cefevent"], result["unknown_keys"] = rebuild(result["parsed"])
        except Exception as error:  # noqa: BLE001
            result["cefevent_error"] = repr(error)
    print(json.dumps(result))
