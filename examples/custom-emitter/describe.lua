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

-- A Python string literal of any UTF-8 text (double quotes; control characters,
-- quotes and backslashes escaped as Python reads them).
local function py_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    if c == '"' or c == "\\" then return "\\" .. c end
    return string.format("\\x%02x", c:byte())
  end) .. '"'
end

-- The return statement, within 120 columns however deep the class is nested:
-- a long name is split after its dots into adjacent literals in parentheses.
local function return_lines(text)
  if #text <= 60 then return { "    return " .. py_string(text) } end
  local lines, piece = { "    return (" }, ""
  for part in text:gmatch("[^.]+%.?") do
    if #piece > 0 and #piece + #part > 60 then
      lines[#lines + 1] = "        " .. py_string(piece)
      piece = ""
    end
    piece = piece .. part
  end
  lines[#lines + 1] = "        " .. py_string(piece)
  lines[#lines + 1] = "    )"
  return lines
end

function M.emit(ctx)
  local prefix = ctx.opt.describe_prefix
  for _, out in ipairs(ctx.outputs) do
    if out.kind == "messages" then
      for _, full_name in ipairs(out.messages) do
        local lines = {
          "def describe(self) -> str:",
          '    """The message\'s proto name, with the team\'s prefix."""',
        }
        for _, line in ipairs(return_lines(prefix .. ":" .. full_name)) do lines[#lines + 1] = line end
        ctx:insert(out.path, "class_scope:" .. full_name, table.concat(lines, "\n"))
      end
    end
  end
end

return M
