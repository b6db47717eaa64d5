-- The Lua driver: called by the C host once per run with the linked schema,
-- the options and the host functions (write, report, builtin_source). It
-- checks the options, picks the naming rules and runs the emitters.
local M = {}

local lpeg = require("lpeg")
local python = require("rules.python")
local Writer = require("emitters.writer")

local PRESETS = { default = true, aristaproto = true }

-- The hooks a naming policy may provide; a policy file overrides some and
-- keeps the defaults for the rest. Values (not functions) are settings.
M.HOOKS = {
  "module", "module_path", "grpc_module", "grpc_module_path", "message", "field", "enum", "enum_value",
  "service_stub", "service_servicer", "service_base", "method", "escape",
  "import_style", "services_in_package_module", "extends", "bind",
  -- value hooks of the aristaproto rules (rules/aristaproto.lua)
  "module_all", "join_comments", "flatten_nested", "optional_empty_request", "deprecation_warnings",
}

-- Every option, with its valid values (nil: any preset name). Command-line
-- flags and protoc plugin parameters (k=v,...) land here alike.
M.OPTIONS = {
  rules = { "default", "aristaproto" },
  grpc = { "true", "false" },
  grpc_python_mode = { "aio", "sync" },
  codec = { "fory", "protobuf" },
  runtime = { "package", "vendored" },
  imports = { "absolute", "relative" },
  -- modules carry their files' descriptors (moonstub.reflection); false leaves them out
  descriptors = { "true", "false" },
  -- aristaproto's options: pydantic validation of constructors; classes with google.protobuf
  -- descriptors (DESCRIPTOR, from moonstub.runtime.protobuf_descriptor_pool())
  pydantic_dataclasses = { "true", "false" },
  google_protobuf_descriptors = { "true", "false" },
  client_generation = { "none", "sync", "async", "sync_async", "async_sync", "sync_async_no_default" },
  client_async_transport = { "grpclib", "grpcio" },
  server_generation = { "none", "async" },
  server_async_transport = { "grpclib", "grpcio" },
}

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

-- What a naming hook must return: a Python identifier (class, attribute and
-- method names), a dotted module name, or a relative path of a .py file.
local ident = (lpeg.R("az", "AZ") + "_") * (lpeg.R("az", "AZ", "09") + "_") ^ 0
local NAME_SHAPES = {
  identifier = { pattern = ident * -1, what = "a Python identifier" },
  module = { pattern = ident * ("." * ident) ^ 0 * -1, what = "a dotted Python module name" },
  path = { pattern = ident * ("/" * ident) ^ 0 * ".py" * -1, what = "a relative path of a .py file" },
}
local HOOK_SHAPES = {
  message = "identifier", field = "identifier", enum = "identifier", enum_value = "identifier",
  service_stub = "identifier", service_servicer = "identifier", service_base = "identifier",
  method = "identifier", escape = "identifier",
  module = "module", grpc_module = "module", module_path = "path", grpc_module_path = "path",
}

--- Checks `opt` (strings from --opt / plugin parameters); returns false after
--- reporting every bad key and value, naming the valid choices. `extra` maps the
--- options that the loaded emitters declare to their emitter (any value goes).
function M.check_options(opt, host, extra)
  extra = extra or {}
  local ok = true
  for _, key in ipairs(sorted_keys(opt)) do
    local valid = M.OPTIONS[key]
    if key:match("^M.") then
      -- M<file.proto or package>=python.module: where that file's classes already are
      if not NAME_SHAPES.module.pattern:match(opt[key]) then
        host.report("error", string.format("invalid module %q for option %s (a dotted Python module name)",
          opt[key], key))
        ok = false
      end
    elseif not valid and not extra[key] then
      local emitter_keys = {}
      for _, k in ipairs(sorted_keys(extra)) do emitter_keys[#emitter_keys + 1] = k .. " (" .. extra[k] .. ")" end
      host.report("error", string.format("unknown option %q (valid options: %s, M<file or package>%s)", key,
        table.concat(sorted_keys(M.OPTIONS), ", "),
        #emitter_keys > 0 and "; of the emitters: " .. table.concat(emitter_keys, ", ") or ""))
      ok = false
    elseif valid then
      -- (an emitter's own option: its value is the emitter's to check)
      local found = key == "rules" and opt[key]:match("%.lua$") ~= nil
      for _, v in ipairs(valid) do found = found or v == opt[key] end
      if not found then
        host.report("error", string.format("invalid value %q for option %s (valid: %s%s)", opt[key], key,
          table.concat(valid, ", "), key == "rules" and ", or a .lua file" or ""))
        ok = false
      end
    end
  end
  if opt.google_protobuf_descriptors == "true" and opt.descriptors == "false" then
    host.report("error", "google_protobuf_descriptors=true needs the modules' descriptors: it cannot go with "
      .. "descriptors=false")
    ok = false
  end
  return ok
end

local function preset(name)
  if not PRESETS[name] then
    error(string.format("unknown rules preset %q (presets: %s)", name, table.concat(sorted_keys(PRESETS), ", ")), 0)
  end
  -- a fresh instance: binding it to a policy changes no other rule set
  local module = require("rules." .. name)
  -- (a replacement file over the built-in, without a new() of its own, is used as it is)
  local fresh = rawget(module, "new")
  return fresh and fresh() or module
end

-- Levenshtein distance, for "did you mean" suggestions.
local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end

local function closest(word, choices)
  local best, best_d
  for _, c in ipairs(choices) do
    local d = distance(word, c)
    if not best_d or d < best_d then best, best_d = c, d end
  end
  return best
end

local function describe_node(node)
  if type(node) == "table" then return node.full_name or node.path or node.name or "?" end
  return string.format("%q", tostring(node))
end

--- Why `name`, returned by hook `key` of a user's policy, cannot be used, or nil.
function M.bad_hook_result(key, name)
  local shape = NAME_SHAPES[HOOK_SHAPES[key]]
  if not shape then return nil end
  if type(name) ~= "string" then
    return string.format("%s (%s), not a string", type(name), tostring(name))
  end
  if not shape.pattern:match(name) then return string.format("%q, not %s", name, shape.what) end
  if shape == NAME_SHAPES.identifier and python.keywords[name] then
    return string.format("%q, a Python keyword (escape it: default.escape adds an underscore)", name)
  end
  return nil
end

-- A user's hook, checked: a name Python cannot take is an error naming the
-- policy file, the hook and the node, never a module that fails to import.
local function checked_hook(source, key, hook, default)
  if not HOOK_SHAPES[key] then
    return function(node, ...) return (hook(node, default, ...)) end
  end
  return function(node, ...)
    local name = hook(node, default, ...)
    local bad = M.bad_hook_result(key, name)
    if bad then
      error(string.format("%s: hook %q returned %s, for %s", source, key, bad, describe_node(node)), 0)
    end
    return name
  end
end

--- A policy table over a base: each hook the policy gives receives the model
--- node and the base's implementation, so it can wrap it.
function M.apply_policy(base, policy, host, source)
  local known = {}
  for _, k in ipairs(M.HOOKS) do known[k] = true end
  local rules = {}
  for k, v in pairs(base) do rules[k] = v end
  for _, key in ipairs(sorted_keys(policy)) do
    local hook = policy[key]
    if not known[key] then
      host.report("warning", string.format("%s: unknown hook %q (did you mean %q?)", source, key,
        closest(key, M.HOOKS)))
    elseif type(hook) == "function" and type(base[key]) == "function" then
      rules[key] = checked_hook(source, key, hook, base[key])
    elseif key ~= "extends" then
      rules[key] = hook
    end
  end
  return rules
end

local function load_rules(name, host)
  local base, rules
  if not name:match("%.lua$") then
    base = preset(name)
    rules = base
  else
    local policy = host.load_script(name)()
    if type(policy) ~= "table" then error(string.format("%s must return a table of hooks", name), 0) end
    base = preset(policy.extends or "default")
    rules = M.apply_policy(base, policy, host, name)
  end
  if base.bind then base.bind(rules) end
  return rules
end

-- ---- the emitter API -----------------------------------------------------------------

local Context = {}
Context.__index = Context

--- A writer for one output file (relative to the output folder); opening a
--- path twice is an error.
function Context:file(path)
  if self.files[path] then error(string.format("output file %q is opened twice", path), 2) end
  local w = Writer.new()
  self.files[path] = w
  self.order[#self.order + 1] = path
  return w
end

function Context:error(node, message)
  self.host.report("error", message, node and node.loc)
end

function Context:warning(node, message)
  self.host.report("warning", message, node and node.loc)
end

--- Text to put at insertion point `point` of the output file `path` (any file of
--- the run, written before or after), as protoc's insertion points: just before
--- the line "@@protoc_insertion_point(POINT)", each line indented like it.
function Context:insert(path, point, text)
  if type(path) ~= "string" or type(point) ~= "string" or type(text) ~= "string" then
    error("ctx:insert(path, point, text) takes three strings", 2)
  end
  self.host.insert(path, point, text)
end

--- What an emitter wrote: `{path, kind, module?, messages, enums, services}`
--- (full names) appended to ctx.outputs, for the emitters that run after it.
function Context:record_output(entry)
  entry.messages = entry.messages or {}
  entry.enums = entry.enums or {}
  entry.services = entry.services or {}
  self.outputs[#self.outputs + 1] = entry
  self.output_by_path[entry.path] = entry
end

--- The entry of ctx.outputs for `path`, if a file of that path was written.
function Context:output(path)
  return self.output_by_path[path]
end

local function load_emitter(spec, host)
  local module
  if spec:match("%.lua$") or spec:find("/") then
    module = host.load_script(spec)()
  else
    local ok, found = pcall(require, "emitters." .. spec)
    if ok then
      module = found
    elseif tostring(found):match("^module '[^']*' not found") then
      module = require(spec)
    else
      error(found, 0)
    end
  end
  if type(module) ~= "table" or type(module.emit) ~= "function" then
    error(string.format("emitter %q has no emit(ctx) function", spec), 0)
  end
  if module.options ~= nil and type(module.options) ~= "table" then
    error(string.format("emitter %q: options must be a table of option names and default values", spec), 0)
  end
  if module.members ~= nil and type(module.members) ~= "table" then
    error(string.format("emitter %q: members must be an array of the names it adds to message classes", spec), 0)
  end
  return module
end

-- The emitter's options: its declared defaults, overridden by --opt / plugin parameters.
local function options_of(module, opt)
  local own = {}
  for key, default in pairs(module.options or {}) do
    local given = opt[key]
    own[key] = given ~= nil and given or default
  end
  return own
end

local function run_emitter(spec, module, ctx)
  local own = setmetatable({ schema = ctx.schema, options = ctx.options, rules = ctx.rules, host = ctx.host,
    files = {}, order = {}, opt = options_of(module, ctx.options.opt), outputs = ctx.outputs,
    output_by_path = ctx.output_by_path }, Context)
  module.emit(own)
  for _, path in ipairs(own.order) do
    ctx.host.write(path, own.files[path]:text(), true)
    if not ctx.output_by_path[path] then ctx:record_output({ path = path, kind = "extra", emitter = spec }) end
  end
end

function M.run(schema, options, host)
  local opt = options.opt
  -- extra emitters first: the options they declare are valid keys
  local emitters, extra_keys, members = {}, {}, {}
  for i, spec in ipairs(options.emitters) do
    emitters[i] = load_emitter(spec, host)
    -- names it adds to every message class: fields of those names are escaped
    for _, name in ipairs(emitters[i].members or {}) do members[name] = spec end
    for key in pairs(emitters[i].options or {}) do
      if M.OPTIONS[key] then
        error(string.format("emitter %q declares the option %q, which is moonstub's own", spec, key), 0)
      end
      extra_keys[key] = extra_keys[key] and (extra_keys[key] .. ", " .. spec) or spec
    end
  end
  if not M.check_options(opt, host, extra_keys) then return end
  if opt.rules then options.rules = opt.rules end
  if opt.grpc then options.grpc = opt.grpc == "true" end
  if opt.grpc_python_mode then
    options.grpc_mode = opt.grpc_python_mode
    if opt.grpc == nil then options.grpc = true end
  end
  local rules = load_rules(options.rules, host)
  local ctx = setmetatable({ schema = schema, options = options, rules = rules, host = host, files = {}, order = {},
    opt = {}, outputs = {}, output_by_path = {}, members = members }, Context)
  if options.summary then
    require("emitters.summary").emit(ctx)
  end
  if options.python_out then
    require("emitters.python.init").emit(ctx)
  end
  -- no output folder: a check of the options and scripts only (core/main.c)
  if not options.out then return end
  for i, spec in ipairs(options.emitters) do run_emitter(spec, emitters[i], ctx) end
  host.apply_insertions()
end

return M
