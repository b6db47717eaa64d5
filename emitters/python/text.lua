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

-- ---- long expressions, broken inside brackets (as ruff format / black do) ----

local CLOSE = { ["("] = ")", ["["] = "]", ["{"] = "}" }

-- The positions of `sep` in `expr` outside string literals and brackets.
local function top_level(expr, sep)
  local found, depth, i, n = {}, 0, 1, #expr
  local first = sep:byte(1)
  while i <= n do
    local b = expr:byte(i)
    if b == 34 or b == 39 then -- a string literal: up to its closing quote
      i = i + 1
      while i <= n and expr:byte(i) ~= b do i = i + (expr:byte(i) == 92 and 2 or 1) end
    elseif b == 40 or b == 91 or b == 123 then
      depth = depth + 1
    elseif b == 41 or b == 93 or b == 125 then
      depth = depth - 1
    elseif depth == 0 and b == first and expr:sub(i, i + #sep - 1) == sep then
      -- a dot of an attribute reference, not of a number
      local attribute = i > 1 and expr:sub(i - 1, i - 1):match("[%w_%]%)]") and expr:sub(i + 1, i + 1):match("[%a_]")
      if sep ~= "." or attribute then
        found[#found + 1] = i
      end
    end
    i = i + 1
  end
  return found
end

-- Where the bracket group that ends `expr` opens (`f(x)`, `list[x]`, `(a, b)`),
-- if it is the last of the brackets at the top level.
local function trailing_group(expr)
  local close = expr:sub(-1)
  if close ~= ")" and close ~= "]" and close ~= "}" then return nil end
  local depth, i = 0, 1
  local open_at
  while i <= #expr do
    local b = expr:byte(i)
    if b == 34 or b == 39 then
      i = i + 1
      while i <= #expr and expr:byte(i) ~= b do i = i + (expr:byte(i) == 92 and 2 or 1) end
    elseif b == 40 or b == 91 or b == 123 then
      if depth == 0 then open_at = i end
      depth = depth + 1
    elseif b == 41 or b == 93 or b == 125 then
      depth = depth - 1
      if depth == 0 and i < #expr then open_at = nil end
    end
    i = i + 1
  end
  if open_at and CLOSE[expr:sub(open_at, open_at)] == close then return open_at end
  return nil
end

-- The pieces of `expr` cut before each of `at` (positions of a separator of
-- `skip` characters: " | " leaves "| b", "." leaves ".b").
local function cut(expr, at, skip)
  local parts, start = {}, 1
  for _, p in ipairs(at) do
    parts[#parts + 1] = expr:sub(start, p - 1)
    start = p + skip
  end
  parts[#parts + 1] = expr:sub(start)
  return parts
end

local expr_lines

-- Whether line `s` holds only a string literal (and a comma): the linters'
-- exception for long lines.
local function string_only(s)
  local i = s:find("[^ ]")
  if i and s:sub(i, i) == "b" then i = i + 1 end
  if not i or s:sub(i, i) ~= '"' then return false end
  local j = i + 1
  while j <= #s and s:byte(j) ~= 34 do j = j + (s:byte(j) == 92 and 2 or 1) end
  local rest = s:sub(j + 1)
  return j <= #s and (rest == "" or rest == ",")
end

--- Writes line `s`; one that is still too long, a name longer than the room
--- its nesting leaves (and not a string literal), is marked for the linters.
function M.put(w, s)
  if #s + w:indent_width() > M.LINE_LIMIT and not string_only(s) then s = s .. "  # noqa: E501" end
  w:line("%s", s)
end

-- The lines of a bracket group's items: all on one line when they fit, else
-- one an item, each with a trailing comma (one item keeps none).
local function item_lines(items, room)
  local joined = table.concat(items, ", ")
  if #items == 1 then return expr_lines(items[1], room) end
  if #joined <= room then return { joined } end
  local out = {}
  for _, item in ipairs(items) do
    local lines = expr_lines(item, room - 1)
    lines[#lines] = lines[#lines] .. ","
    for _, l in ipairs(lines) do out[#out + 1] = l end
  end
  return out
end

-- `expr` as lines of at most `room` columns where it can be broken, inside
-- brackets (continuation lines relative to the first): a conditional before
-- `if` and `else`, a comparison or union before its operator, a call or
-- subscript inside its brackets, a dotted name before its dots.
function expr_lines(expr, room)
  if #expr <= room then return { expr } end
  local parts
  local ifs, elses = top_level(expr, " if "), top_level(expr, " else ")
  if #ifs == 1 and #elses == 1 and ifs[1] < elses[1] then
    parts = { expr:sub(1, ifs[1] - 1), expr:sub(ifs[1] + 1, elses[1] - 1), expr:sub(elses[1] + 1) }
  end
  for _, op in ipairs({ " != ", " | " }) do
    if not parts then
      local at = top_level(expr, op)
      if #at > 0 then
        parts = cut(expr, at, 1)
      end
    end
  end
  if not parts then
    local open = trailing_group(expr)
    if open and open <= room and open + 1 < #expr then
      local out = { expr:sub(1, open) }
      local items = cut(expr:sub(open + 1, -2), top_level(expr:sub(open + 1, -2), ", "), 2)
      for _, l in ipairs(item_lines(items, room - 4)) do out[#out + 1] = "    " .. l end
      out[#out + 1] = expr:sub(-1)
      return out
    end
    local dots = top_level(expr, ".")
    if #dots == 0 then return { expr } end
    parts = cut(expr, dots, 0)
  end
  local out = {}
  for _, part in ipairs(parts) do
    for _, l in ipairs(expr_lines(part, room)) do out[#out + 1] = l end
  end
  return out
end

M.expr_lines = expr_lines

--- Writes `head .. expr .. tail` (Python code, `expr` an expression) at the
--- writer's indentation, broken when longer than the line limit: inside the
--- brackets that end `expr` (`head f(` / arguments / `)tail`), else inside
--- parentheses put around it (`head (` / expr / `)tail`); `inside` (already
--- within brackets) breaks the expression without them, and `bare` (no
--- parentheses allowed, as in a class line) leaves a line that cannot be
--- broken whole, marked for the linters.
function M.write_expr(w, head, expr, tail, how)
  tail = tail or ""
  how = how or {}
  local room = M.LINE_LIMIT - w:indent_width()
  if #head + #expr + #tail <= room then
    w:line("%s%s%s", head, expr, tail)
    return
  end
  local open = trailing_group(expr)
  -- (a call or subscript of a name, not the last operand of an operator)
  if open and #head + open <= room and open + 1 < #expr and #top_level(expr:sub(1, open - 1), " ") == 0 then
    local inner = expr:sub(open + 1, -2)
    M.put(w, head .. expr:sub(1, open))
    for _, l in ipairs(item_lines(cut(inner, top_level(inner, ", "), 2), room - 4)) do M.put(w, "    " .. l) end
    M.put(w, expr:sub(-1) .. tail)
    return
  end
  if not how.inside and not how.bare and #head + 1 <= room then
    M.put(w, head .. "(")
    for _, l in ipairs(expr_lines(expr, room - 4)) do M.put(w, "    " .. l) end
    M.put(w, ")" .. tail)
    return
  end
  local lines = how.inside and expr_lines(expr, room - #head) or { expr }
  for i, l in ipairs(lines) do M.put(w, (i == 1 and head or "") .. l .. (i == #lines and tail or "")) end
end

--- Writes an import line, broken when too long: `from a import (` / `b as c,` /
--- `)`; `import a as b` has no brackets, so its alias goes on a continuation line.
function M.write_import(w, line)
  if #line + w:indent_width() <= M.LINE_LIMIT then
    w:line("%s", line)
    return
  end
  local code, note = line:match("^(.-)(  #.*)$")
  code, note = code or line, note or ""
  local from, names = code:match("^(from %S+ import )(.+)$")
  if from then
    w:line("%s(", from)
    M.put(w, "    " .. names .. "," .. note)
    w:line(")")
    return
  end
  -- (`import a as b` takes no brackets: a backslash is its only way to break)
  local module, alias = code:match("^(import %S+) (as %S+)$")
  if module then
    w:line("%s \\", module)
    M.put(w, "    " .. alias .. note)
    return
  end
  w:line("%s  # noqa: E501", line)
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
      M.write_expr(w, "", codes[i], ",", { inside = true })
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
    if not fallback or #fallback + 6 + w:indent_width() <= M.LINE_LIMIT then
      if fallback then w:line('"""%s"""', fallback) end
      return fallback ~= nil
    end
    text = fallback -- too long for one line: wrapped as a comment is
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
