-- Python source text: string literals and docstrings from schema text.
local M = {}

-- A Python str literal for bytes `s`: valid UTF-8 is decoded (non-ASCII as
-- \u escapes); invalid bytes become the surrogate escapes Python's
-- "surrogateescape" error handler gives them, so they survive a round trip.
local ESCAPES = { [92] = "\\\\", [34] = '\\"', [10] = "\\n", [13] = "\\r", [9] = "\\t" }

local function escape_codepoint(cp)
  local e = ESCAPES[cp]
  if e then return e end
  if cp >= 32 and cp < 127 then return string.char(cp) end
  if cp < 0x100 then return string.format("\\x%02x", cp) end
  if cp < 0x10000 then return string.format("\\u%04x", cp) end
  return string.format("\\U%08x", cp)
end

-- printable ASCII but `"` and `\`: copied as is
local PLAIN_RUN = "^[ !#-Z%[%]^-~]+"
local ALL_PLAIN = "^[ !#-Z%[%]^-~]*$"

function M.py_string(s)
  if s:find(ALL_PLAIN) then return '"' .. s .. '"' end
  local out, n = {}, 0
  local i, len = 1, #s
  while i <= len do
    local _, run_end = s:find(PLAIN_RUN, i)
    if run_end then
      n = n + 1
      out[n] = s:sub(i, run_end)
      i = run_end + 1
    else
      local b = s:byte(i)
      local size = b < 0x80 and 1 or b >= 0xF0 and 4 or b >= 0xE0 and 3 or b >= 0xC2 and 2 or 0
      local cp
      if size == 1 then
        cp = b
      elseif size > 1 then
        local chunk = s:sub(i, i + size - 1)
        -- strict UTF-8: no overlong forms, surrogates or values past U+10FFFF
        if #chunk == size and utf8.len(chunk) == 1 then cp = utf8.codepoint(chunk) end
      end
      if not cp then cp, size = 0xDC00 + b, 1 end
      n = n + 1
      out[n] = escape_codepoint(cp)
      i = i + size
    end
  end
  return '"' .. table.concat(out) .. '"'
end


--- Writes the leading (or trailing) comment of a node as a docstring, or
--- `fallback` when there is none; returns whether one was written.
--- The docstring that opens a generated module: the files it comes from,
--- wrapped at 120 columns.
function M.module_docstring(w, sources, what)
  local words = { '"""' .. (what or "Generated") .. " by moonstub from" }
  for i, source in ipairs(sources) do words[#words + 1] = source .. (i < #sources and "," or ". Do not edit.\"\"\"") end
  local line = ""
  for _, word in ipairs(words) do
    if line ~= "" and #line + 1 + #word > 120 then
      w:line("%s", line)
      line = word
    else
      line = line == "" and word or line .. " " .. word
    end
  end
  w:line("%s", line)
end

-- A docstring line cut at spaces into lines of at most `room` columns, each
-- continuation indented like the line; a word longer than that stays whole.
local function wrap(line, room)
  if #line <= room then return { line } end
  local indent = line:match("^ *")
  local out, current = {}, nil
  for word in line:sub(#indent + 1):gmatch("%S+") do
    if current and #current + 1 + #word > room then
      out[#out + 1] = current
      current = indent .. word
    else
      current = current and current .. " " .. word or indent .. word
    end
  end
  out[#out + 1] = current or line
  return out
end

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
  local room = 120 - w:indent_width()
  local wrapped = {}
  for _, l in ipairs(lines) do
    l = l:sub((common or 0) + 1):gsub("\\", "\\\\"):gsub('"""', '\\"\\"\\"')
    for _, piece in ipairs(wrap(l, #wrapped == 0 and room - 3 or room)) do wrapped[#wrapped + 1] = piece end
  end
  lines = wrapped
  if #lines == 1 and #lines[1] + 7 > room then
    -- too long for one line with its quotes: the closing quotes go below
    w:line('"""%s', lines[1])
    w:line('"""')
  elseif #lines == 1 then
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
