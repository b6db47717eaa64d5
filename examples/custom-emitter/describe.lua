-- An emitter that changes the Python the built-in emitters write: every
-- generated message class gains
--
--     def describe(self) -> str:
--         return "<prefix>:<proto full name>"
--
-- through the class_scope insertion point of each class (docs/lua-api.md).
-- Its option describe_prefix (default "msg") comes from --opt or a plugin
-- parameter:
--
--   moonstub -I examples/greeter examples/greeter/greeter.proto --python_out=gen \
--     --emitter examples/custom-emitter/describe.lua --opt describe_prefix=api
local M = {}

M.options = { describe_prefix = "msg" }
-- what it adds to every message class: a field named `describe` becomes `describe_`
M.members = { "describe" }

-- A Python string literal of any text (double quotes, escapes as Python reads them).
local function py_string(s)
  return '"' .. s:gsub('[%c"\\\128-\255]', function(c)
    if c == '"' or c == "\\" then return "\\" .. c end
    return string.format("\\x%02x", c:byte())
  end) .. '"'
end

function M.emit(ctx)
  local prefix = ctx.opt.describe_prefix
  for _, out in ipairs(ctx.outputs) do
    if out.kind == "messages" then
      for _, full_name in ipairs(out.messages) do
        ctx:insert(out.path, "class_scope:" .. full_name, table.concat({
          "def describe(self) -> str:",
          '    """The message\'s proto name, with the team\'s prefix."""',
          "    return " .. py_string(prefix .. ":" .. full_name),
        }, "\n"))
      end
    end
  end
end

return M
