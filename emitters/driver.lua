-- The Lua driver: called by the C host once per run with the linked schema,
-- the options and the host functions (write, report, builtin_source). It
-- checks the options, picks the naming rules and runs the emitters.
local M = {}

local Writer = require("emitters.writer")

local PRESETS = { default = true, aristaproto = true }

-- The hooks a naming policy may provide; a policy file overrides some and
-- keeps the defaults for the rest. Values (not functions) are settings.
M.HOOKS = {
  "module", "module_path", "grpc_module", "grpc_module_path", "message", "field", "enum", "enum_value",
  "service_stub", "service_servicer", "service_base", "method", "escape",
  "import_style", "services_in_package_module", "extends", "bind",
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

--- Checks `opt` (strings from --opt / plugin parameters); returns false after
--- reporting every bad key and value, naming the valid choices.
function M.check_options(opt, host)
  local ok = true
  for _, key in ipairs(sorted_keys(opt)) do
    local valid = M.OPTIONS[key]
    if key:match("^M.") then
      -- M<file.proto or package>=python.module: where that file's classes already are
      if not opt[key]:match("^[%a_][%w_]*[%w_.]*$") or opt[key]:match("%.%.") or opt[key]:match("%.$") then
        host.report("error", string.format("invalid module %q for option %s (a dotted Python module name)",
          opt[key], key))
        ok = false
      end
    elseif not valid then
      host.report("error", string.format("unknown option %q (valid options: %s, M<file or package>)", key,
        table.concat(sorted_keys(M.OPTIONS), ", ")))
      ok = false
    else
      local found = key == "rules" and opt[key]:match("%.lua$") ~= nil
      for _, v in ipairs(valid) do found = found or v == opt[key] end
      if not found then
        host.report("error", string.format("invalid value %q for option %s (valid: %s%s)", opt[key], key,
          table.concat(valid, ", "), key == "rules" and ", or a .lua file" or ""))
        ok = false
      end
    end
  end
  return ok
end

local function preset(name)
  if not PRESETS[name] then
    error(string.format("unknown rules preset %q (presets: %s)", name, table.concat(sorted_keys(PRESETS), ", ")), 0)
  end
  return require("rules." .. name)
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
      local default = base[key]
      rules[key] = function(node, ...) return (hook(node, default, ...)) end
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

local function run_emitter(spec, ctx)
  local module
  if spec:match("%.lua$") or spec:find("/") then
    module = ctx.host.load_script(spec)()
  else
    local ok, found = pcall(require, "emitters." .. spec)
    if ok then module = found else module = require(spec) end
  end
  if type(module) ~= "table" or type(module.emit) ~= "function" then
    error(string.format("emitter %q has no emit(ctx) function", spec), 0)
  end
  local own = setmetatable({ schema = ctx.schema, options = ctx.options, rules = ctx.rules, host = ctx.host,
    files = {}, order = {} }, Context)
  module.emit(own)
  for _, path in ipairs(own.order) do ctx.host.write(path, own.files[path]:text(), true) end
end

function M.run(schema, options, host)
  local opt = options.opt
  if not M.check_options(opt, host) then return end
  if opt.rules then options.rules = opt.rules end
  if opt.grpc then options.grpc = opt.grpc == "true" end
  if opt.grpc_python_mode then
    options.grpc_mode = opt.grpc_python_mode
    if opt.grpc == nil then options.grpc = true end
  end
  local rules = load_rules(options.rules, host)
  local ctx = setmetatable({ schema = schema, options = options, rules = rules, host = host, files = {}, order = {} },
    Context)
  if options.summary then
    require("emitters.summary").emit(ctx)
  end
  if options.python_out then
    require("emitters.python.init").emit(ctx)
  end
  for _, spec in ipairs(options.emitters) do run_emitter(spec, ctx) end
end

return M
