-- The Lua driver: called by the C host once per run with the linked schema,
-- the options and the host functions (write, report). It picks the naming
-- rules and runs the emitters.
local M = {}

local function load_rules(name)
  local ok, rules = pcall(require, "rules." .. name)
  if not ok then
    error(string.format("unknown rules preset %q", name), 0)
  end
  return rules
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
