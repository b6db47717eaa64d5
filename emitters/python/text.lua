-- Python source text: string literals and docstrings from schema text.
local M = {}

-- generated lines stay within this many columns (ruff's E501 at 120)
M.LINE_LIMIT = 120

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



-- The pieces of a long string literal, each at most `width` columns: cut after
-- a `sep` where one is near, else at the width (never inside an escape).
function M.string_pieces(raw, width, sep)
  local pieces, start = {}, 1
  -- without escapes a piece's width is its length plus the quotes
  local plain = #M.py_string(raw) == #raw + 2
  if plain then
    local limit = width - 2
    while #raw - start + 1 > limit do
      local window = raw:sub(start, start + limit - 1)
      local cut = sep and window:match(".*()%" .. sep)
      if not cut or cut < limit // 2 then cut = limit end
      pieces[#pieces + 1] = '"' .. raw:sub(start, start + cut - 1) .. '"'
      start = start + cut
    end
    pieces[#pieces + 1] = '"' .. raw:sub(start) .. '"'
    return pieces
  end
  local function fits(a, b) return plain and b - a + 3 <= width or #M.py_string(raw:sub(a, b)) <= width end
  while start <= #raw do
    local stop = start
    local best
    while stop <= #raw and fits(start, stop) do
      if sep and raw:sub(stop, stop) == sep then best = stop end
      stop = stop + 1
    end
    if stop > #raw then best = #raw
    elseif not best or best - start < width // 2 then best = math.max(start, stop - 1) end
    pieces[#pieces + 1] = M.py_string(raw:sub(start, best))
    start = best + 1
  end
  return pieces
end

-- `name(arg, ...)` on one line when it fits, else one argument per line. An
-- argument is Python code, or {text = raw string, sep = cut after} for a
-- string literal that may be split into implicitly concatenated pieces.
function M.write_call(w, name, args)
  local codes = {}
  for i, a in ipairs(args) do codes[i] = type(a) == "table" and M.py_string(a.text) or a end
  local one = name .. "(" .. table.concat(codes, ", ") .. ")"
  if #one + w:indent_width() <= M.LINE_LIMIT then
    w:line("%s", one)
    return
  end
  w:line("%s(", name)
  w:indent()
  local room = M.LINE_LIMIT - w:indent_width() - 1
  for i, a in ipairs(args) do
    if type(a) == "table" and #codes[i] > room then
      local pieces = M.string_pieces(a.text, room, a.sep)
      for k, piece in ipairs(pieces) do w:line("%s%s", piece, k == #pieces and "," or "") end
    else
      w:line("%s,", codes[i])
    end
  end
  w:dedent()
  w:line(")")
end

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
--- `line` broken at spaces into lines of at most `room` columns (a word
--- longer than that keeps a line of its own), each indented like `line`.
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

M.wrap = wrap

--- Writes `lines` as a docstring in aristaproto's layout (rules with
--- join_comments): the quotes on lines of their own, lines wrapped at the
--- line limit; false (nothing written) when there are none.
function M.write_joined_docstring(w, lines)
  if not lines or #lines == 0 then return false end
  local room = M.LINE_LIMIT - w:indent_width()
  w:line('"""')
  for _, l in ipairs(lines) do
    for _, piece in ipairs(wrap(l, room)) do w:line("%s", piece) end
  end
  w:line('"""')
  return true
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
