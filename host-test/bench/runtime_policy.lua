-- Sysdig runtime policy events -> ECS, as a Fluent Bit `lua` filter: what a
-- user would write instead of the wasm module, for the bench to compare
-- with. It maps the same fields the module maps for this family (see
-- README.md, "Mapping") and keeps the payload under `sysdig` with the same
-- key clean-up. What it cannot do the same way, said plainly:
--  * Lua numbers are doubles, so a 19-digit nanosecond timestamp arrives
--    already rounded (to about 0.25 us); @timestamp is exact only to that.
--  * It does not turn too-deep containers into text, and it does not check
--    values against field types (IPs, longs); Lua tables drop duplicate keys
--    before the script sees them.
--
-- filters:
--   - name: lua
--     match: '*'
--     script: runtime_policy.lua
--     call: sysdig_runtime_to_ecs

local FALCO = {
  ["proc.name"] = "process.name",
  ["proc.exepath"] = "process.executable",
  ["proc.cmdline"] = "process.command_line",
  ["proc.pid"] = "process.pid",
  ["proc.cwd"] = "process.working_directory",
  ["proc.hash.sha256"] = "process.hash.sha256",
  ["proc.pname"] = "process.parent.name",
  ["proc.pexepath"] = "process.parent.executable",
  ["proc.pcmdline"] = "process.parent.command_line",
  ["proc.ppid"] = "process.parent.pid",
  ["user.name"] = "user.name",
  ["user.uid"] = "user.id",
  ["group.gid"] = "user.group.id",
  ["group.name"] = "user.group.name",
  ["container.name"] = "container.name",
  ["container.image.repository"] = "container.image.name",
  ["container.image.tag"] = "container.image.tag",
  ["container.privileged"] = "container.security_context.privileged",
  ["fd.sip"] = "destination.ip",
  ["fd.sport"] = "destination.port",
  ["fd.cip"] = "source.ip",
  ["fd.cport"] = "source.port",
  ["fd.l4proto"] = "network.transport",
  ["k8s.ns.name"] = "orchestrator.namespace",
  ["falco.rule"] = "rule.name",
}
-- proc.aname[N], proc.aexepath[N], proc.acmdline[N], proc.apid[N]: ancestors
local ANCESTOR_FIELD = { aname = "name", aexepath = "executable", acmdline = "command_line", apid = "pid" }

local LABELS = {
  ["host.hostName"] = "host.name",
  ["kubernetes.cluster.name"] = "orchestrator.cluster.name",
  ["kubernetes.namespace.name"] = "orchestrator.namespace",
  ["kubernetes.workload.type"] = "orchestrator.resource.parent.type",
  ["container.name"] = "container.name",
  ["container.image.repo"] = "container.image.name",
  ["container.image.repository"] = "container.image.name",
  ["container.image.tag"] = "container.image.tag",
  ["cloudProvider.name"] = "cloud.provider",
  ["cloudProvider.region"] = "cloud.region",
  ["cloudProvider.account.id"] = "cloud.account.id",
  ["cloudProvider.availabilityZone"] = "cloud.availability_zone",
}

local LIST_FIELDS = {
  ["container.image.tag"] = true, ["container.image.hash.all"] = true, ["host.mac"] = true,
}

local TACTICS = {
  { "TA0043", "reconnaissance", "Reconnaissance" },
  { "TA0042", "resource_development", "Resource Development" },
  { "TA0001", "initial_access", "Initial Access" },
  { "TA0002", "execution", "Execution" },
  { "TA0003", "persistence", "Persistence" },
  { "TA0004", "privilege_escalation", "Privilege Escalation" },
  { "TA0005", "defense_evasion", "Defense Evasion" },
  { "TA0006", "credential_access", "Credential Access" },
  { "TA0007", "discovery", "Discovery" },
  { "TA0008", "lateral_movement", "Lateral Movement" },
  { "TA0009", "collection", "Collection" },
  { "TA0011", "command_and_control", "Command and Control" },
  { "TA0010", "exfiltration", "Exfiltration" },
  { "TA0040", "impact", "Impact" },
}
local TACTIC_BY_ID, TACTIC_BY_NAME = {}, {}
for _, t in ipairs(TACTICS) do TACTIC_BY_ID[t[1]] = t; TACTIC_BY_NAME[t[2]] = t end

local SEVERITY = { [0] = "high", "high", "high", "high", "medium", "medium", "low", "informational" }

-- Dotted paths split once, not on every record.
local PATHS = setmetatable({}, { __index = function(cache, path)
  local parts = {}
  for part in path:gmatch("[^.]+") do parts[#parts + 1] = part end
  cache[path] = parts
  return parts
end })

local function usable(v)
  local ty = type(v)
  if ty == "string" then return v ~= "" and v ~= "<NA>" and v ~= "N/A" and v ~= "<N/A>" end
  return ty == "number" or ty == "boolean"
end

local function as_keyword(v)
  if type(v) == "number" and v == math.floor(v) then return string.format("%d", v) end
  return tostring(v)
end

-- Sets doc.<path> unless it is set; list fields collect distinct values.
local function set(doc, path, v)
  if not usable(v) then return false end
  local parts = PATHS[path]
  local node = doc
  for i = 1, #parts - 1 do
    local child = node[parts[i]]
    if child == nil then child = {}; node[parts[i]] = child end
    node = child
  end
  local leaf = parts[#parts]
  if LIST_FIELDS[path] then
    local list = node[leaf]
    if list == nil then list = {}; node[leaf] = list end
    for _, have in ipairs(list) do if have == v then return false end end
    list[#list + 1] = v
    return true
  end
  if node[leaf] ~= nil then return false end
  node[leaf] = v
  return true
end

local function get(doc, path)
  local node = doc
  for _, part in ipairs(PATHS[path]) do
    if type(node) ~= "table" then return nil end
    node = node[part]
  end
  return node
end

local function add(list, v)
  for _, have in ipairs(list) do if have == v then return end end
  list[#list + 1] = v
end

-- Epoch clock -> RFC 3339; the unit is told by the number of digits.
local function rfc3339(v)
  if type(v) ~= "number" or v < 0 then return nil end
  local digits = string.format("%.0f", v)
  local n = #digits
  if n > 19 then return nil end
  local frac = n <= 10 and 0 or n <= 13 and 3 or n <= 16 and 6 or 9
  local secs = tonumber(digits:sub(1, n - frac))
  local out = os.date("!%Y-%m-%dT%H:%M:%S", secs)
  if frac > 0 then out = out .. "." .. digits:sub(n - frac + 1) end
  return out .. "Z"
end

local function mac(v)
  if type(v) ~= "string" then return nil end
  local hex = v:gsub("[:%-%.]", "")
  if #hex ~= 12 or hex:find("[^%x]") then return nil end
  hex = hex:upper()
  return (hex:gsub("(%x%x)", "%1-"):sub(1, 17))
end

local function add_tactic(doc, t)
  local threat = doc.threat or { framework = "MITRE ATT&CK" }
  doc.threat = threat
  local tactic = threat.tactic or { id = {}, name = {}, reference = {} }
  threat.tactic = tactic
  for _, id in ipairs(tactic.id) do if id == t[1] then return end end
  tactic.id[#tactic.id + 1] = t[1]
  tactic.name[#tactic.name + 1] = t[3]
  tactic.reference[#tactic.reference + 1] = "https://attack.mitre.org/tactics/" .. t[1] .. "/"
end

local function add_technique(doc, id, sub, name)
  local threat = doc.threat or { framework = "MITRE ATT&CK" }
  doc.threat = threat
  local tech = threat.technique or { id = {}, reference = {} }
  threat.technique = tech
  local known = false
  for _, have in ipairs(tech.id) do if have == "T" .. id then known = true end end
  if not known then
    tech.id[#tech.id + 1] = "T" .. id
    tech.reference[#tech.reference + 1] = "https://attack.mitre.org/techniques/T" .. id .. "/"
    if not sub and name then tech.name = tech.name or {}; tech.name[#tech.name + 1] = name end
  end
  if sub then
    local st = tech.subtechnique or { id = {}, reference = {} }
    tech.subtechnique = st
    st.id[#st.id + 1] = "T" .. id .. "." .. sub
    st.reference[#st.reference + 1] = "https://attack.mitre.org/techniques/T" .. id .. "/" .. sub .. "/"
    if name then st.name = st.name or {}; st.name[#st.name + 1] = name end
  end
end

-- mitre_persistence, MITRE_TA0003_persistence, MITRE_T1059_command_..., T1548.001
local function threat_from_tag(doc, tag)
  local t = tag:lower()
  local prefixed = t:sub(1, 6) == "mitre_"
  if prefixed then t = t:sub(7) end
  local ta = t:match("^ta(%d%d%d%d)")
  if ta then
    local row = TACTIC_BY_ID["TA" .. ta]
    if row then add_tactic(doc, row) end
    return
  end
  local id, sub, rest = t:match("^t(%d%d%d%d)%.(%d%d%d)(.*)$")
  if not id then id, rest = t:match("^t(%d%d%d%d)(.*)$") end
  if id then
    if rest ~= "" and rest:sub(1, 1) ~= "_" then return end
    local name = rest ~= "" and tag:sub(-(#rest - 1)):gsub("_", " ") or nil
    add_technique(doc, id, sub, name)
    return
  end
  if prefixed and TACTIC_BY_NAME[t] then add_tactic(doc, TACTIC_BY_NAME[t]) end
end

-- The payload, with keys Elasticsearch would read as paths made flat
-- ("proc.aname[2]" -> "proc_aname_2") and [{key, value}] lists as objects.
local clean_key_cache = {}
local function clean_key(k)
  local c = clean_key_cache[k]
  if c then return c end
  c = tostring(k):gsub("[%.%[]", "_"):gsub("%]", "")
  if not c:find("[^ \t\r\n]") then c = "_" .. c end
  clean_key_cache[k] = c
  return c
end

local function is_kv_list(t)
  if #t == 0 then return false end
  for _, e in ipairs(t) do
    if type(e) ~= "table" or type(e.key) ~= "string" or e.value == nil then return false end
  end
  return true
end

local function clean(v)
  if type(v) ~= "table" then return v end
  local out = {}
  if #v > 0 then
    if is_kv_list(v) then
      for _, e in ipairs(v) do out[clean_key(e.key)] = clean(e.value) end
    else
      for i, e in ipairs(v) do out[i] = clean(e) end
    end
    return out
  end
  for k, e in pairs(v) do out[clean_key(k)] = clean(e) end
  return out
end

local function map_fields(doc, fields)
  if type(fields) ~= "table" then return end
  for k, v in pairs(fields) do
    local to = FALCO[k]
    if to then
      set(doc, to, v)
    elseif k == "fd.name" then
      if type(v) == "string" and v:sub(1, 1) == "/" then set(doc, "file.path", v) end
    elseif k == "container.id" or k == "container.name" then
      if v ~= "host" then set(doc, k, v) end
    elseif k == "k8s.pod.name" then
      if set(doc, "orchestrator.resource.name", v) then set(doc, "orchestrator.resource.type", "pod") end
      set(doc, "orchestrator.type", "kubernetes")
    elseif k == "evt.res" then
      if type(v) == "string" and v ~= "" then set(doc, "event.outcome", v == "SUCCESS" and "success" or "failure") end
    elseif k == "user.loginname" then
      if usable(v) then doc.related = doc.related or {}; doc.related.user = doc.related.user or {}; add(doc.related.user, v) end
    elseif k == "container.image.digest" then
      set(doc, "container.image.hash.all", v)
    else
      local kind, n = k:match("^proc%.(a%a+)%[(%d)%]$")
      local leaf = kind and ANCESTOR_FIELD[kind]
      n = tonumber(n)
      if leaf and n >= 1 and n <= 4 then
        set(doc, "process" .. string.rep(".parent", n) .. "." .. leaf, v)
      end
    end
  end
end

local function map_labels(doc, labels)
  if type(labels) ~= "table" then return end
  for k, v in pairs(labels) do
    local to = LABELS[k]
    if to then
      if set(doc, to, v) and to:sub(1, 13) == "orchestrator." then set(doc, "orchestrator.type", "kubernetes") end
    elseif k == "host.mac" then
      set(doc, "host.mac", mac(v))
    elseif k == "container.id" then
      if v ~= "host" then set(doc, "container.id", v) end
    elseif k == "container.image.digest" then
      set(doc, "container.image.hash.all", v)
    elseif k == "kubernetes.pod.name" then
      if set(doc, "orchestrator.resource.name", v) then set(doc, "orchestrator.resource.type", "pod") end
      set(doc, "orchestrator.type", "kubernetes")
    elseif k:sub(1, 11) == "kubernetes." then
      set(doc, "orchestrator.type", "kubernetes")
    end
  end
end

function sysdig_runtime_to_ecs(tag, timestamp, record)
  local content = record.content
  if type(content) ~= "table" then return 0, timestamp, record end
  local doc = {}
  doc["@timestamp"] = rfc3339(record.timestamp)
  set(doc, "ecs.version", "9.4.0")
  set(doc, "event.kind", "alert")
  set(doc, "event.module", "sysdig")
  set(doc, "event.dataset", "sysdig.policy")
  set(doc, "event.created", os.date("!%Y-%m-%dT%H:%M:%S", math.floor(timestamp)) ..
    string.format(".%09dZ", math.floor((timestamp % 1) * 1e9)))
  set(doc, "observer.vendor", "Sysdig")
  set(doc, "observer.product", "Sysdig Secure")
  set(doc, "event.id", record.id)
  set(doc, "event.provider", record.source)
  local sev = record.severity
  if type(sev) == "number" and set(doc, "event.severity", sev) and SEVERITY[sev] then
    set(doc, "log.level", SEVERITY[sev])
  end
  set(doc, "rule.ruleset", record.name)
  set(doc, "rule.description", record.description)
  if usable(record.agentId) then set(doc, "agent.id", as_keyword(record.agentId)) end
  set(doc, "container.id", record.containerId)
  set(doc, "host.mac", mac(record.machineId))
  set(doc, "rule.name", content.ruleName)
  set(doc, "rule.category", content.ruleType)
  if usable(content.policyVersion) then set(doc, "rule.version", as_keyword(content.policyVersion)) end
  if usable(content.policyOrigin) then doc.rule = doc.rule or {}; doc.rule.author = { content.policyOrigin } end
  set(doc, "message", content.output)
  if type(content.ruleTags) == "table" then
    local tags = {}
    for _, t in ipairs(content.ruleTags) do
      if type(t) == "string" then add(tags, t); threat_from_tag(doc, t) end
    end
    if #tags > 0 then doc.tags = tags end
  end
  map_fields(doc, content.fields)
  map_labels(doc, record.labels)

  -- Derived fields.
  local path = get(doc, "file.path")
  if path then
    local dir, name = path:match("^(.*)/([^/]+)$")
    if name then set(doc, "file.name", name); set(doc, "file.directory", dir == "" and "/" or dir) end
  end
  local categories = { "intrusion_detection" }
  if doc.process and (doc.process.name or doc.process.pid or doc.process.command_line) then categories[#categories + 1] = "process" end
  if path then categories[#categories + 1] = "file" end
  if get(doc, "source.ip") or get(doc, "destination.ip") then categories[#categories + 1] = "network" end
  doc.event.category = categories
  doc.event.type = { "info" }
  local related = doc.related or {}
  local user, host = get(doc, "user.name"), get(doc, "host.name")
  if user then related.user = related.user or {}; add(related.user, user) end
  if host then related.hosts = { host } end
  local ips = {}
  if get(doc, "source.ip") then add(ips, get(doc, "source.ip")) end
  if get(doc, "destination.ip") then add(ips, get(doc, "destination.ip")) end
  if #ips > 0 then related.ip = ips end
  if next(related) then doc.related = related end
  if doc["@timestamp"] == nil then
    doc["@timestamp"] = doc.event.created
    doc.tags = doc.tags or {}
    doc.tags[#doc.tags + 1] = "_sysdig_no_event_time"
  end

  doc.sysdig = clean(record)
  return 2, timestamp, doc
end
