-- The Lua driver: called by the C host once per run with the linked schema,
-- the options and the host functions (write, report). It picks the naming
-- rules and runs the emitters.
local M = {}

local PRESETS = { default = true, aristaproto = true }

local function load_rules(name)
  if not PRESETS[name] then
    local known = {}
    for k in pairs(PRESETS) do known[#known + 1] = k end
    table.sort(known)
    error(string.format("unknown rules preset %q (presets: %s)", name, table.concat(known, ", ")), 0)
  end
  return require("rules." .. name)
end

function M.run(schema, options, host)
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
