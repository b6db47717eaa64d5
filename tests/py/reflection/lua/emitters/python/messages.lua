-- The message emitter with the change docs/reflection.md proposes for
-- emitters/python/messages.lua: each module ends with one
-- _ms.register_file(path, descriptor, imports) call per .proto file, for
-- moonstub.reflection. Found first through --lua-path, it wraps the built-in
-- emitter (require "builtin:...") and adds the calls after its text, where
-- write_file_registrations would put them (after the _ms.register lines).
local base = require("builtin:emitters.python.messages")
local Writer = require("emitters.writer")
local py_string = require("emitters.python.text").py_string

local M = setmetatable({}, { __index = base })

-- ---- the lines proposed for messages.lua (docs/reflection.md) -----------------

-- A Python bytes literal of any bytes: printable ASCII as is, `"` `\` and
-- newlines, returns and tabs escaped as Python writes them, the rest \xNN.
local BYTE_ESCAPES = { ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t", ['"'] = '\\"', ["\\"] = "\\\\" }
for b = 0, 255 do
  local c = string.char(b)
  BYTE_ESCAPES[c] = BYTE_ESCAPES[c] or string.format("\\x%02x", b)
end

local function py_bytes_literal(s)
  return 'b"' .. (s:gsub('[%c"\\\128-\255]', BYTE_ESCAPES)) .. '"'
end

--- One _ms.register_file call per .proto file of the module: the file's
--- serialized FileDescriptorProto (file.descriptor, what protoc writes for it)
--- and the files it imports, for moonstub.reflection. The modules of those
--- files are imported too (as protoc's _pb2 modules import theirs), so that
--- their files are registered as well: a file imported only for its options
--- (google/api/annotations.proto) has no type this module would name.
local function write_file_registrations(w, mod)
  for _, file in ipairs(mod.files) do
    local descriptor = file.descriptor
    if descriptor then
      local imports = {}
      for _, imp in ipairs(file.imports) do
        if not imp.option then
          imports[#imports + 1] = py_string(imp.path)
          local other = imp.file and mod.names.module_of[imp.file]
          if other and other ~= mod.name then mod.imports[other] = true end
        end
      end
      local tuple = #imports == 1 and "(" .. imports[1] .. ",)" or "(" .. table.concat(imports, ", ") .. ")"
      w:line("_ms.register_file(%s, %s, %s)", py_string(file.path), py_bytes_literal(descriptor), tuple)
    end
  end
end

-- ---- the wrapper -------------------------------------------------------------------

function M.module_text(ctx, mod)
  -- messages.lua would call write_file_registrations(tables, mod) right after
  -- write_registrations(tables, mod), before it writes the import lines; the
  -- wrapper writes the calls first and adds them to the end of the text
  local w = Writer.new()
  if not mod.fory then write_file_registrations(w, mod) end
  local text = base.module_text(ctx, mod)
  if not text:find("\n$") then text = text .. "\n" end
  return text .. w:text()
end

return M
