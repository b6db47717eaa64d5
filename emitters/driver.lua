-- The Lua driver: called by the C host once per run with the linked schema,
-- the options and the host functions (write, report, builtin_source). It
-- checks the options, picks the naming rules and runs the emitters.
local M = {}

local PRESETS = { default = true, aristaproto = true }

-- Every option, with its valid values (nil: any preset name). Command-line
-- flags and protoc plugin parameters (k=v,...) land here alike.
M.OPTIONS = {
  rules = { "default", "aristaproto" },
  grpc = { "true", "false" },
  grpc_python_mode = { "aio", "sync" },
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
    if not valid then
      host.report("error", string.format("unknown option %q (valid options: %s)", key,
        table.concat(sorted_keys(M.OPTIONS), ", ")))
      ok = false
    else
      local found = false
      for _, v in ipairs(valid) do found = found or v == opt[key] end
      if not found then
        host.report("error", string.format("invalid value %q for option %s (valid: %s)", opt[key], key,
          table.concat(valid, ", ")))
        ok = false
      end
    end
  end
  return ok
end

local function load_rules(name)
  if not PRESETS[name] then
    error(string.format("unknown rules preset %q (presets: %s)", name, table.concat(sorted_keys(PRESETS), ", ")), 0)
  end
  return require("rules." .. name)
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
  local rules = load_rules(options.rules)
  local ctx = { schema = schema, options = options, rules = rules, host = host }
  if options.summary then
    require("emitters.summary").emit(ctx)
  end
  if options.python_out then
    require("emitters.python.init").emit(ctx)
  end
end

return M
