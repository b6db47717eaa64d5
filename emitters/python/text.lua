-- Python source text: string literals and docstrings from schema text.
local M = {}

-- A Python str literal for bytes `s`: valid UTF-8 is decoded (non-ASCII as
-- \u escapes); invalid bytes become the surrogate escapes Python's
-- "surrogateescape" error handler gives them, so they survive a round trip.
function M.py_string(s)
  local out = {}
  local function put_codepoint(cp)
    if cp == 92 then out[#out + 1] = "\\\\"
    elseif cp == 34 then out[#out + 1] = '\\"'
    elseif cp == 10 then out[#out + 1] = "\\n"
    elseif cp == 13 then out[#out + 1] = "\\r"
    elseif cp == 9 then out[#out + 1] = "\\t"
    elseif cp >= 32 and cp < 127 then out[#out + 1] = string.char(cp)
    elseif cp < 0x100 then out[#out + 1] = string.format("\\x%02x", cp)
    elseif cp < 0x10000 then out[#out + 1] = string.format("\\u%04x", cp)
    else out[#out + 1] = string.format("\\U%08x", cp) end
  end
  local i, n = 1, #s
  while i <= n do
    local len = utf8.len(s, i, i) and select(2, pcall(utf8.codepoint, s, i)) and utf8.offset(s, 2, i)
    local ok, cp = pcall(utf8.codepoint, s, i)
    if ok and utf8.len(s:sub(i, (utf8.offset(s, 2, i) or n + 1) - 1)) then
      put_codepoint(cp)
      i = utf8.offset(s, 2, i)
    else
      put_codepoint(0xDC00 + s:byte(i))
      i = i + 1
    end
    local _ = len
  end
  return '"' .. table.concat(out) .. '"'
end


--- Writes the leading (or trailing) comment of a node as a docstring, or
--- `fallback` when there is none; returns whether one was written.
function M.docstring(w, comments, fallback)
  local text = comments and (comments.leading or comments.trailing)
  if not text or text:match("^%s*$") then
    if fallback then w:line('"""%s"""', fallback) end
    return fallback ~= nil
  end
  local lines = {}
  for l in text:gmatch("([^\n]*)\n?") do lines[#lines + 1] = l end
  while #lines > 0 and lines[#lines]:match("^%s*$") do lines[#lines] = nil end
  -- drop the common leading space that comment text carries after "//"
  local common
  for _, l in ipairs(lines) do
    if l:match("%S") then
      local lead = #l:match("^ *")
      common = common and math.min(common, lead) or lead
    end
  end
  for i, l in ipairs(lines) do
    lines[i] = l:sub((common or 0) + 1):gsub("\\", "\\\\"):gsub('"""', '\\"\\"\\"')
  end
  if #lines == 1 then
    local single = lines[1]
    if single:sub(-1) == '"' then single = single .. " " end
    w:line('"""%s"""', single)
  else
    w:line('"""%s', lines[1])
    for i = 2, #lines do w:line("%s", lines[i]) end
    w:line('"""')
  end
  return true
end

return M
